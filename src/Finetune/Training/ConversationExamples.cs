using MMAdapt.Finetune.Data;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Models.Chat;

namespace MMAdapt.Finetune.Training;

/// <summary>Training or evaluation examples from a conversation dataset, encoded by a <see cref="MultimodalModel"/>.</summary>
/// <remarks>A conversation whose last turn is the assistant's counts as a checkable question: everything before that
/// turn is the prompt and the turn's text is the expected answer.</remarks>
public sealed class ConversationExamples(MultimodalModel model, IReadOnlyList<ConversationSample> samples) : ITrainingExamples
{
    /// <summary>Loads a dataset file and wraps it (at most <paramref name="maxSamples"/> rows when given).</summary>
    public static ConversationExamples Load(MultimodalModel model, string path, int? maxSamples = null)
    {
        var samples = ConversationDataset.Load(path);
        return new ConversationExamples(model, maxSamples is int max ? samples.Take(max).ToList() : samples);
    }

    /// <summary>The conversations.</summary>
    public IReadOnlyList<ConversationSample> Samples => samples;

    /// <inheritdoc />
    public int Count => samples.Count;

    /// <inheritdoc />
    public EncodedSample? Encode(int index)
    {
        var s = samples[index];
        return model.EncodeConversation(s.Messages, s.Images, s.Audios, $"{s.Source} row {s.Row}") is { } encoded
            ? encoded with { ClassLabel = s.Label }
            : null;
    }

    /// <inheritdoc />
    public void CheckClassLabels(int labels) => ClassLabels.Check(samples, labels);

    /// <inheritdoc />
    public CheckableQuestion? Question(int index)
    {
        var s = samples[index];
        if (s.Messages.Count < 2 || s.Messages[^1].Role != ChatMessage.AssistantRole || s.Messages.Count(m => m.Role == ChatMessage.AssistantRole) != 1)
            return null;
        return new CheckableQuestion(s.Messages.Take(s.Messages.Count - 1).ToList(), s.Images, s.Audios, s.Messages[^1].Content);
    }
}
