using MMAdapt.Core.Modules;

namespace MMAdapt.Finetune.Training;

/// <summary>Averages what the steps between two log lines saw: loss, each aux loss, gradient norm, tokens.</summary>
internal sealed class LossWindow
{
    private readonly Dictionary<string, double> aux = new(StringComparer.Ordinal);
    private double lossSum, stepLoss, normSum;
    private long tokens;
    private int steps;

    /// <summary>The loss of the step being accumulated.</summary>
    public double CurrentStepLoss => stepLoss;

    /// <summary>The last logged mean loss.</summary>
    public double? LastLoss { get; private set; }

    /// <summary>Adds one micro-batch: its (already accumulation-scaled) loss, its aux losses and its tokens.</summary>
    public void Add(double loss, AuxSink sink, long batchTokens)
    {
        stepLoss += loss;
        tokens += batchTokens;
        foreach (var (name, value) in sink.Losses)
        {
            // Aux losses are named "<router>/<loss>"; logged summed over routers, per kind.
            var kind = name[(name.LastIndexOf('/') + 1)..];
            aux[kind] = aux.GetValueOrDefault(kind) + value.item<float>();
        }
    }

    /// <summary>Closes the step.</summary>
    public void EndStep(double gradientNorm)
    {
        lossSum += stepLoss;
        normSum += gradientNorm;
        stepLoss = 0;
        steps++;
    }

    /// <summary>The log line for the window.</summary>
    public MetricsRecord Record(string stage, int step, int stageStep, double learningRate, double seconds)
    {
        LastLoss = lossSum / Math.Max(1, steps);
        return new MetricsRecord(stage, step, stageStep)
        {
            Loss = LastLoss,
            Aux = aux.ToDictionary(kv => kv.Key, kv => kv.Value / Math.Max(1, steps)),
            LearningRate = learningRate,
            GradNorm = normSum / Math.Max(1, steps),
            TokensPerSecond = seconds > 0 ? tokens / seconds : null,
        };
    }

    /// <summary>Starts a new window.</summary>
    public void Reset()
    {
        aux.Clear();
        lossSum = normSum = 0;
        tokens = 0;
        steps = 0;
    }
}
