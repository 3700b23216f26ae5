namespace MMAdapt.Finetune.Training;

/// <summary>Where a stage is, reported after every optimiser step (and once as it starts) to an
/// <see cref="IProgress{T}"/> such as the CLI's progress bar.</summary>
/// <param name="Stage">The stage's name.</param>
/// <param name="StageStep">Optimiser steps taken in the stage (resumed steps included).</param>
/// <param name="TotalSteps">Steps the stage will take.</param>
/// <param name="Loss">The step's training loss (null before the first step).</param>
/// <param name="LearningRate">The step's learning rate (null before the first step).</param>
public sealed record StageProgress(string Stage, int StageStep, int TotalSteps, double? Loss, double? LearningRate);
