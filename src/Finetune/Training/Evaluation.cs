using MMAdapt.Finetune.Multimodal;
using MMAdapt.Models.Generation;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Training;

/// <summary>What an evaluation measured.</summary>
/// <param name="Loss">Mean per-batch language-model loss over the eval set (null when nothing encoded).</param>
/// <param name="Correct">Questions answered exactly right (after <see cref="Evaluation.Normalize"/>).</param>
/// <param name="Asked">Questions with a checkable answer.</param>
public sealed record EvaluationResult(double? Loss, int Correct, int Asked)
{
    /// <summary>Exact-match accuracy, or null when no example has a checkable answer.</summary>
    public double? Accuracy => Asked == 0 ? null : Correct / (double)Asked;
}

/// <summary>Evaluation of a model on held-out examples: teacher-forced loss, then greedy answers compared by exact match
/// (the usual VQA-style check on short answers).</summary>
public static class Evaluation
{
    /// <summary>Runs the evaluation in eval mode without gradients; leaves the model in eval mode.</summary>
    public static EvaluationResult Run(MultimodalModel model, ITrainingExamples eval, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        foreach (var (_, root) in model.Components)
            root.train(false);
        using var _ = no_grad();
        double lossSum = 0;
        int batches = 0, correct = 0, asked = 0;
        for (int start = 0; start < eval.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var samples = Enumerable.Range(start, Math.Min(batchSize, eval.Count - start)).Select(eval.Encode).Where(s => s is not null).Select(s => s!).ToList();
            if (samples.Count == 0)
                continue;
            using var batch = model.Collate(samples);
            var context = model.Context(batch, training: false);
            using var sink = context.Sink;
            lossSum += model.Loss(batch, context).item<float>();
            batches++;
        }
        for (int i = 0; i < eval.Count; i++)
        {
            if (eval.Question(i) is not { } question)
                continue;
            var answer = model.Answer(question.Prompt, question.Images, question.Audios,
                new GenerationOptions { MaxNewTokens = Math.Max(8, model.Tokenizer.Encode(question.Answer).Count + 4) });
            asked++;
            if (Normalize(answer) == Normalize(question.Answer))
                correct++;
        }
        return new EvaluationResult(batches == 0 ? null : lossSum / batches, correct, asked);
    }

    /// <summary>Exact-match normalisation: trimmed, lower case, trailing full stop dropped.</summary>
    public static string Normalize(string answer) => answer.Trim().TrimEnd('.').Trim().ToLowerInvariant();
}
