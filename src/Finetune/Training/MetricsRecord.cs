namespace MMAdapt.Finetune.Training;

/// <summary>One line of <c>metrics.jsonl</c>: a training log point or an evaluation.</summary>
/// <param name="Stage">The stage's name.</param>
/// <param name="Step">Optimiser steps since the run began.</param>
/// <param name="StageStep">Optimiser steps since the stage began (0 for an evaluation before the first step).</param>
public sealed record MetricsRecord(string Stage, int Step, int StageStep)
{
    /// <summary>Training loss (mean over the logging window), or null for eval-only lines.</summary>
    public double? Loss { get; init; }
    /// <summary>Each weighted aux loss, logged as <c>aux/&lt;name&gt;</c>.</summary>
    public IReadOnlyDictionary<string, double> Aux { get; init; } = new Dictionary<string, double>();
    /// <summary>Learning rate of the first parameter group.</summary>
    public double? LearningRate { get; init; }
    /// <summary>Gradient norm before clipping.</summary>
    public double? GradNorm { get; init; }
    /// <summary>Training throughput.</summary>
    public double? TokensPerSecond { get; init; }
    /// <summary>Evaluation loss.</summary>
    public double? EvalLoss { get; init; }
    /// <summary>Exact-match accuracy of generated answers, when answers are checkable.</summary>
    public double? EvalAccuracy { get; init; }
    /// <summary>Further named values (e.g. text-only accuracy).</summary>
    public IReadOnlyDictionary<string, double> Extra { get; init; } = new Dictionary<string, double>();
}
