namespace MMAdapt.Finetune.Pretraining;

/// <summary>
/// How a tiny encoder tower is pretrained: AdamW on the sum of the attribute heads' cross-entropies, linear warm-up
/// then cosine decay to 10% of the peak learning rate, gradients clipped to norm 1.
/// </summary>
public sealed record TowerTrainingOptions
{
    /// <summary>Seed of the data, the initial weights and the batch order; the same seed gives byte-identical files.</summary>
    public int Seed { get; init; }
    /// <summary>Optimiser steps.</summary>
    public int Steps { get; init; } = 600;
    /// <summary>Examples per step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Peak AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 3e-3;
    /// <summary>Steps of linear warm-up from 0 to the peak (a transformer from scratch diverges without it).</summary>
    public int WarmupSteps { get; init; } = 30;
    /// <summary>AdamW decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>A progress line every this many steps (and at the last one).</summary>
    public int LogEvery { get; init; } = 50;

    /// <summary>Checks every setting is in range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Steps, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LogEvery, nameof(LogEvery));
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupSteps, nameof(WarmupSteps));
        if (!(LearningRate > 0))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, $"{nameof(LearningRate)} must be positive.");
        if (!(WeightDecay >= 0))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, $"{nameof(WeightDecay)} must not be negative.");
    }
}
