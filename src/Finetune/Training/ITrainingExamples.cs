using MMAdapt.Finetune.Multimodal;
using MMAdapt.Models.Chat;

namespace MMAdapt.Finetune.Training;

/// <summary>A question whose answer can be checked by exact match (for <c>eval_accuracy</c>).</summary>
/// <param name="Prompt">The conversation up to the answer.</param>
/// <param name="Images">Its images.</param>
/// <param name="Audios">Its audio clips.</param>
/// <param name="Answer">The expected answer.</param>
public sealed record CheckableQuestion(IReadOnlyList<ChatMessage> Prompt, IReadOnlyList<string> Images, IReadOnlyList<string> Audios, string Answer);

/// <summary>What a stage trains or evaluates on: a fixed number of examples, each encoded on demand (thread-safe,
/// so a prefetcher can encode ahead on other threads).</summary>
public interface ITrainingExamples
{
    /// <summary>How many examples.</summary>
    int Count { get; }

    /// <summary>Encodes example <paramref name="index"/>; null when it is skipped (too long, dropped by policy).</summary>
    EncodedSample? Encode(int index);

    /// <summary>Checks, before a <c>classify</c> stage trains, that every example has a class label in <c>[0, labels)</c>.</summary>
    /// <exception cref="MMAdapt.Finetune.Data.DatasetException">An example without one, or with one out of range (the message
    /// names its file and row).</exception>
    void CheckClassLabels(int labels);

    /// <summary>The example as a checkable question, or null when it is not one (several answers, open text).</summary>
    CheckableQuestion? Question(int index);
}
