using MMAdapt.Finetune.Multimodal;
using MMAdapt.Models.Generation;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Training;

/// <summary>What an evaluation measured.</summary>
/// <param name="Loss">Mean per-batch language-model loss over the eval set, or (classify) the mean cross-entropy per
/// example (null when nothing encoded).</param>
/// <param name="Correct">Questions answered exactly right (after <see cref="Evaluation.Normalize"/>), or (classify)
/// examples whose highest logit is their label.</param>
/// <param name="Asked">Questions with a checkable answer, or (classify) examples classified.</param>
public sealed record EvaluationResult(double? Loss, int Correct, int Asked)
{
    /// <summary>Exact-match accuracy, or null when no example has a checkable answer.</summary>
    public double? Accuracy => Asked == 0 ? null : Correct / (double)Asked;
}

/// <summary>Evaluation of a model on held-out examples: teacher-forced loss, then greedy answers compared by exact match
/// (the usual VQA-style check on short answers); for <c>classify</c>, the head's cross-entropy and argmax accuracy.</summary>
public static class Evaluation
{
    /// <summary>Runs the evaluation in eval mode without gradients; leaves the model in eval mode.</summary>
    /// <param name="model">The model (with a head for <see cref="StageObjective.Classify"/>).</param>
    /// <param name="eval">The held-out examples.</param>
    /// <param name="batchSize">Examples per forward pass.</param>
    /// <param name="objective">What is measured: language modelling (loss, exact-match answers) or classification.</param>
    public static EvaluationResult Run(MultimodalModel model, ITrainingExamples eval, int batchSize, StageObjective objective = StageObjective.LanguageModel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        foreach (var (_, root) in model.Components)
            root.train(false);
        using var _ = no_grad();
        if (objective == StageObjective.Classify)
            return Classify(model, eval, batchSize);
        double lossSum = 0;
        int batches = 0, correct = 0, asked = 0;
        foreach (var (batch, context) in Batches(model, eval, batchSize))
        {
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

    // Cross-entropy summed per example (so the mean does not depend on how the last batch is cut) and argmax hits.
    private static EvaluationResult Classify(MultimodalModel model, ITrainingExamples eval, int batchSize)
    {
        double lossSum = 0;
        int correct = 0, asked = 0;
        foreach (var (batch, context) in Batches(model, eval, batchSize))
        {
            var logits = model.ClassifyLogits(batch, context);                                              // [batch, labels]
            var targets = model.ClassTargets(batch);                                                        // [batch]
            lossSum += nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.Sum).item<float>();
            correct += (int)logits.argmax(1).eq(targets).sum().item<long>();
            asked += (int)batch.Size;
        }
        return new EvaluationResult(asked == 0 ? null : lossSum / asked, correct, asked);
    }

    // The eval set in order, batchSize examples at a time (skipped ones left out); each batch, its context and every
    // tensor made while the caller works on it live in one dispose scope, closed when the caller asks for the next.
    private static IEnumerable<(MultimodalBatch Batch, Core.Modules.ForwardContext Context)> Batches(MultimodalModel model, ITrainingExamples eval, int batchSize)
    {
        for (int start = 0; start < eval.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var samples = Enumerable.Range(start, Math.Min(batchSize, eval.Count - start)).Select(eval.Encode).OfType<EncodedSample>().ToList();
            if (samples.Count == 0)
                continue;
            using var batch = model.Collate(samples);
            var context = model.Context(batch, training: false);
            using var sink = context.Sink;
            yield return (batch, context);
        }
    }

    /// <summary>Exact-match normalisation: trimmed, lower case, trailing full stop dropped.</summary>
    public static string Normalize(string answer) => answer.Trim().TrimEnd('.').Trim().ToLowerInvariant();
}
