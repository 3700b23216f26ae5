namespace MMAdapt.Finetune.Training;

/// <summary>What a stage optimises.</summary>
public enum StageObjective
{
    /// <summary>Next-token cross-entropy on the labelled (assistant) tokens.</summary>
    LanguageModel,
    /// <summary>Cross-entropy over class labels from a head on pooled features.</summary>
    Classify,
}

/// <summary>One training stage, resolved: what trains, how long, how fast, and when to log, evaluate and save.</summary>
public sealed record StageSettings
{
    /// <summary>The stage's name (its checkpoint folder).</summary>
    public required string Name { get; init; }
    /// <summary>What the stage optimises.</summary>
    public StageObjective Objective { get; init; } = StageObjective.LanguageModel;
    /// <summary>What trains: component names (<c>connector:image</c>, <c>llm</c>), <c>adapter:&lt;name&gt;</c>, or globs over
    /// qualified parameter names (<c>llm.model.layers.*.adapters.moe.*</c>).</summary>
    public IReadOnlyList<string> Train { get; init; } = [];
    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Learning rates for parameter-name globs (first match wins; others get <see cref="LearningRate"/>).</summary>
    public IReadOnlyList<(string Pattern, double LearningRate)> LearningRateGroups { get; init; } = [];
    /// <summary>Passes over the data; with <see cref="MaxSteps"/> too, the stage stops at whichever comes first.</summary>
    public int? Epochs { get; init; }
    /// <summary>Optimiser steps; with <see cref="Epochs"/> too, the stage stops at whichever comes first.</summary>
    public int? MaxSteps { get; init; }

    /// <summary>The stage's optimiser steps for a data set of <paramref name="examples"/> examples.</summary>
    public int TotalSteps(int examples)
    {
        int perEpoch = Math.Max(1, (examples + BatchSize * GradientAccumulation - 1) / (BatchSize * GradientAccumulation));
        int? byEpochs = Epochs is int e ? e * perEpoch : null;
        return (byEpochs, MaxSteps) switch
        {
            (int a, int b) => Math.Min(a, b),
            (int a, null) => a,
            (null, int b) => b,
            _ => perEpoch,
        };
    }
    /// <summary>Samples per micro-batch.</summary>
    public int BatchSize { get; init; } = 4;
    /// <summary>Micro-batches per optimiser step.</summary>
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Warm-up steps.</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Shape after warm-up.</summary>
    public ScheduleKind Scheduler { get; init; } = ScheduleKind.Cosine;
    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; init; }
    /// <summary>Gradient-norm clipping (0: none).</summary>
    public double Clip { get; init; } = 1.0;
    /// <summary>Log every N optimiser steps.</summary>
    public int LogEvery { get; init; } = 10;
    /// <summary>Evaluate every N steps (0: only at the start and end of the stage).</summary>
    public int EvalEvery { get; init; }
    /// <summary>Evaluate before the first step of a fresh stage.</summary>
    public bool EvalAtStart { get; init; } = true;
    /// <summary>Save a checkpoint every N steps (0: only the final one).</summary>
    public int SaveEvery { get; init; }
    /// <summary>Step checkpoints kept.</summary>
    public int KeepLast { get; init; } = 2;
    /// <summary>Weight of the summed aux losses.</summary>
    public double AuxLossWeight { get; init; } = 1.0;
}
