using MMAdapt.Core.Display;
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
[TypeFormatterSource(typeof(RichDisplayFormatters))]
public sealed record EvaluationResult(double? Loss, int Correct, int Asked) : IRichDisplay
{
    /// <summary>Exact-match accuracy, or null when no example has a checkable answer.</summary>
    public double? Accuracy => Asked == 0 ? null : Correct / (double)Asked;

    /// <summary>Correct and asked per kind of question (<see cref="Evaluation.KindOf"/>: <c>text</c>, <c>image</c>,
    /// <c>audio</c>, <c>image_audio</c>), for answers; empty for classification.</summary>
    public IReadOnlyDictionary<string, (int Correct, int Asked)> ByKind { get; init; } = new Dictionary<string, (int, int)>();

    /// <summary>Accuracy per kind of question, as <c>eval_accuracy/&lt;kind&gt;</c> metrics (text-only accuracy shows
    /// whether tuning for images and sounds cost the LLM what it knew).</summary>
    public IReadOnlyDictionary<string, double> AccuracyByKind =>
        ByKind.Where(kv => kv.Value.Asked > 0).ToDictionary(kv => $"eval_accuracy/{kv.Key}", kv => kv.Value.Correct / (double)kv.Value.Asked);

    /// <summary>Accuracy overall and per kind of question, and the loss.</summary>
    public DisplayTable ToTable()
    {
        var table = new DisplayTable("questions", "correct>", "asked>", "accuracy>") { Title = "Evaluation" };
        static string Share(int correct, int asked) => asked == 0 ? "-" : DisplayTable.Percent(correct / (double)asked);
        foreach (var (kind, (correct, asked)) in ByKind.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            table.Add(kind, correct.ToString(System.Globalization.CultureInfo.InvariantCulture), asked.ToString(System.Globalization.CultureInfo.InvariantCulture), Share(correct, asked));
        table.Add("all", Correct.ToString(System.Globalization.CultureInfo.InvariantCulture), Asked.ToString(System.Globalization.CultureInfo.InvariantCulture), Share(Correct, Asked));
        table.Notes.Add(Loss is double loss ? $"eval loss {DisplayTable.Number(loss)}" : "no eval loss (nothing encoded)");
        return table;
    }

    /// <inheritdoc/>
    public string ToText() => ToTable().ToText();

    /// <inheritdoc/>
    public string ToHtml() => ToTable().ToHtml();

    /// <inheritdoc/>
    public override string ToString() => ToText();
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
        var byKind = new SortedDictionary<string, (int Correct, int Asked)>(StringComparer.Ordinal);
        for (int i = 0; i < eval.Count; i++)
        {
            if (eval.Question(i) is not { } question)
                continue;
            var answer = model.Answer(question.Prompt, question.Images, question.Audios,
                new GenerationOptions { MaxNewTokens = Math.Max(8, model.Tokenizer.Encode(question.Answer).Count + 4) });
            bool right = Normalize(answer) == Normalize(question.Answer);
            asked++;
            if (right)
                correct++;
            var kind = KindOf(question);
            var (c, a) = byKind.GetValueOrDefault(kind);
            byKind[kind] = (c + (right ? 1 : 0), a + 1);
        }
        return new EvaluationResult(batches == 0 ? null : lossSum / batches, correct, asked) { ByKind = byKind };
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

    /// <summary>A question's kind by what it attaches: <c>image_audio</c>, <c>image</c>, <c>audio</c> or <c>text</c>.</summary>
    public static string KindOf(CheckableQuestion question) =>
        (question.Images.Count > 0, question.Audios.Count > 0) switch
        {
            (true, true) => "image_audio",
            (true, false) => "image",
            (false, true) => "audio",
            _ => "text",
        };

    /// <summary>Exact-match normalisation: trimmed, lower case, trailing full stop dropped.</summary>
    public static string Normalize(string answer) => answer.Trim().TrimEnd('.').Trim().ToLowerInvariant();
}
