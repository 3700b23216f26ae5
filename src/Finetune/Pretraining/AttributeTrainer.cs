using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Pretraining;

/// <summary>What <see cref="AttributeTrainer.Train"/> measured.</summary>
/// <param name="FirstLoss">Summed cross-entropy of the first step.</param>
/// <param name="FinalLoss">Mean over the last 20 steps.</param>
/// <param name="HeldOutAccuracy">Per feature readout and attribute, on the held-out examples.</param>
internal sealed record AttributeTrainingResult(double FirstLoss, double FinalLoss, IReadOnlyList<AttributeAccuracy> HeldOutAccuracy);

/// <summary>
/// Trains a tower from scratch to tell its inputs' attributes apart: linear heads over pooled features of one or more
/// readouts (layers), the summed cross-entropies minimised by AdamW, then accuracy measured on held-out examples.
/// Deterministic for a seed when torch runs on one thread (the caller pins it): batches come from a seeded generator.
/// </summary>
internal static class AttributeTrainer
{
    private const int EvaluationBatch = 64;

    /// <summary>Trains <paramref name="tower"/> (its parameters that require gradients) and throwaway heads.</summary>
    /// <param name="tower">The tower, already initialised.</param>
    /// <param name="encode">Inputs <c>[batch, ...]</c> to one pooled feature tensor <c>[batch, hidden]</c> per readout.</param>
    /// <param name="hidden">Width of the pooled features.</param>
    /// <param name="readouts">Names of <paramref name="encode"/>'s outputs, in order (see <see cref="TowerFeatures"/>).</param>
    /// <param name="attributes">Attribute names and class counts, in the order of the label columns.</param>
    /// <param name="train">Examples batches are drawn from (with replacement).</param>
    /// <param name="heldOut">Examples accuracy is measured on.</param>
    /// <param name="options">Seed, steps and optimiser settings.</param>
    /// <param name="log">Receives progress lines, or null.</param>
    public static AttributeTrainingResult Train(nn.Module tower, Func<Tensor, Tensor[]> encode, int hidden, IReadOnlyList<string> readouts,
        IReadOnlyList<(string Name, int Classes)> attributes, LabelledExamples train, LabelledExamples heldOut, TowerTrainingOptions options, TextWriter? log)
    {
        var heads = readouts.Select((_, r) => new AttributeHeads(hidden, attributes.Select(a => a.Classes).ToArray())).ToArray();
        try
        {
            for (int r = 0; r < heads.Length; r++)
                TinyTowerFiles.RandomInitialise(heads[r], options.Seed + 100 + r);
            var (first, final) = Optimise(tower, encode, heads, train, options, log);
            var accuracy = Evaluate(encode, heads, readouts, attributes, heldOut);
            foreach (var a in accuracy)
                log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held-out {a.Features,-17} {a.Attribute,-9} {a.Accuracy:F4}"));
            return new AttributeTrainingResult(first, final, accuracy);
        }
        finally
        {
            foreach (var head in heads)
                head.Dispose();
        }
    }

    private static (double First, double Final) Optimise(nn.Module tower, Func<Tensor, Tensor[]> encode, AttributeHeads[] heads,
        LabelledExamples train, TowerTrainingOptions options, TextWriter? log)
    {
        var parameters = tower.parameters().Where(p => p.requires_grad).Concat(heads.SelectMany(h => h.parameters())).ToArray();
        using var optimizer = optim.AdamW(parameters, lr: options.LearningRate, weight_decay: options.WeightDecay);
        using var generator = new Generator((ulong)options.Seed + 1);
        double first = 0, tail = 0;
        int tailSteps = Math.Min(20, options.Steps);
        for (int step = 0; step < options.Steps; step++)
        {
            using var scope = NewDisposeScope();
            double lr = LearningRate(step, options);
            foreach (var group in optimizer.ParamGroups)
                group.LearningRate = lr;
            var index = randint(train.Count, [options.BatchSize], generator: generator);            // [batch]
            var labels = train.Labels.index_select(0, index);                                        // [batch, attributes]
            var pooled = encode(train.Inputs.index_select(0, index));                                // per readout [batch, hidden]
            var loss = heads.Select((head, r) => head.Loss(pooled[r], labels)).Aggregate((a, b) => a + b);
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            double value = loss.item<float>();
            if (step == 0)
                first = value;
            if (step >= options.Steps - tailSteps)
                tail += value / tailSteps;
            if ((step + 1) % options.LogEvery == 0 || step == options.Steps - 1)
                log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step + 1,5}/{options.Steps}  loss {value:F4}  lr {lr:E2}"));
        }
        return (first, tail);
    }

    // Linear warm-up to the peak, then cosine decay to 10% of it.
    private static double LearningRate(int step, TowerTrainingOptions options)
    {
        if (step < options.WarmupSteps)
            return options.LearningRate * (step + 1) / options.WarmupSteps;
        double progress = (double)(step - options.WarmupSteps) / Math.Max(1, options.Steps - options.WarmupSteps);
        return options.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    private static List<AttributeAccuracy> Evaluate(Func<Tensor, Tensor[]> encode, AttributeHeads[] heads, IReadOnlyList<string> readouts,
        IReadOnlyList<(string Name, int Classes)> attributes, LabelledExamples heldOut)
    {
        var correct = new long[heads.Length, attributes.Count];
        using (no_grad())
        {
            for (int start = 0; start < heldOut.Count; start += EvaluationBatch)
            {
                using var scope = NewDisposeScope();
                int count = Math.Min(EvaluationBatch, heldOut.Count - start);
                var labels = heldOut.Labels.narrow(0, start, count);
                var pooled = encode(heldOut.Inputs.narrow(0, start, count));
                for (int r = 0; r < heads.Length; r++)
                {
                    var right = heads[r].Correct(pooled[r], labels);
                    for (int a = 0; a < attributes.Count; a++)
                        correct[r, a] += right[a];
                }
            }
        }
        var accuracy = new List<AttributeAccuracy>();
        for (int r = 0; r < heads.Length; r++)
            for (int a = 0; a < attributes.Count; a++)
                accuracy.Add(new AttributeAccuracy(readouts[r], attributes[a].Name, (double)correct[r, a] / heldOut.Count));
        return accuracy;
    }
}
