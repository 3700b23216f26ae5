using System.Diagnostics;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Finetune.Multimodal;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Training;

/// <summary>What a finished stage reports.</summary>
/// <param name="Steps">Optimiser steps the stage took (in total, including steps before a resume).</param>
/// <param name="LastLoss">The last logged training loss.</param>
/// <param name="TrainedParameters">Parameters trained in full so far (for later stages' checkpoints).</param>
/// <param name="FinalCheckpoint">The stage's final checkpoint folder.</param>
public sealed record StageResult(int Steps, double? LastLoss, IReadOnlyList<string> TrainedParameters, string FinalCheckpoint);

/// <summary>A loss or gradient that is NaN or infinite stops the stage.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// Runs one stage: chooses what trains, then repeats forward, backward (with gradient accumulation), clipping and an
/// AdamW step under the learning-rate schedule. The loss is the stage's objective (next-token cross-entropy, or for
/// <see cref="StageObjective.Classify"/> the head's cross-entropy over labels, checked on every row first) plus the
/// routers' aux losses times their weight; logs to <see cref="MetricsLog"/>, evaluates, writes atomic
/// checkpoints (<c>&lt;output&gt;/&lt;stage&gt;/step_N</c>, keep-last-N, then <c>final</c>) and the stage's plots.
/// Every step runs in its own dispose scope; the data order comes from the seed, so a resumed stage repeats the
/// uninterrupted one exactly on CPU.
/// </summary>
public sealed class StageRunner(MultimodalModel model, string outputDir, long seed, MetricsLog log, TextWriter? console = null)
{
    /// <summary>Writes more files into each checkpoint before it is renamed into place (the recipe trainer writes the
    /// adapters in their own formats), or null.</summary>
    public Action<string>? CheckpointExtras { get; init; }

    /// <summary>Threads that decode and tokenise examples ahead of the trainer (default: half the cores, at least 1).</summary>
    public int PrefetchThreads { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Receives the stage's position after every step (a progress bar), or null.</summary>
    public IProgress<StageProgress>? Progress { get; init; }

    /// <summary>Runs the stage.</summary>
    /// <param name="stageIndex">Its index in the recipe (part of its data seed).</param>
    /// <param name="stage">The settings.</param>
    /// <param name="train">Training examples.</param>
    /// <param name="eval">Evaluation examples, or null.</param>
    /// <param name="stepAtStart">Optimiser steps taken by earlier stages.</param>
    /// <param name="trainedEarlier">Parameters trained in full by earlier stages.</param>
    /// <param name="resume">A checkpoint of this stage to continue from, or null.</param>
    /// <exception cref="TrainingDivergedException">The loss or gradient became NaN or infinite.</exception>
    public StageResult Run(int stageIndex, StageSettings stage, ITrainingExamples train, ITrainingExamples? eval, int stepAtStart,
        IReadOnlyList<string> trainedEarlier, string? resume = null)
    {
        if (train.Count == 0)
            throw new ArgumentException($"stage '{stage.Name}': the training set is empty.");
        if (stage.Objective == StageObjective.Classify)
        {
            var head = model.Head ?? throw new InvalidOperationException(
                $"stage '{stage.Name}' classifies but the model has no classification head (RecipeModelBuilder attaches one for classify stages).");
            train.CheckClassLabels(head.Labels);
            eval?.CheckClassLabels(head.Labels);
        }
        var components = model.Components;
        var all = ParameterSelection.All(components);
        var chosen = ParameterSelection.Select(components, stage.Train, stage.Name);
        ParameterSelection.Apply(components, chosen);
        var trainedInFull = trainedEarlier.Concat(chosen.Select(p => p.Name)).Distinct().ToList();
        var saved = TrainingCheckpoint.Saved(all, trainedInFull);
        using var optimizer = new AdamWOptimizer(Groups(stage, chosen));
        var mixtures = components.SelectMany(c => c.Root.modules().OfType<LoraMixture>()).ToList();
        var stageFolder = Path.Combine(outputDir, stage.Name);

        int total = stage.TotalSteps(train.Count);
        var position = new DataPosition(train.Count, seed + 1000L * stageIndex);
        int stageStep = 0;
        string? lastCheckpoint = null;
        if (resume is not null)
        {
            var state = TrainingCheckpoint.ReadState(resume);
            TrainingCheckpoint.LoadWeights(resume, all);
            TrainingCheckpoint.LoadOptimizer(resume, optimizer);
            set_rng_state(tensor(Convert.FromBase64String(state.RngState), ScalarType.Byte));
            position.MoveTo(state.Epoch, state.EpochOffset);
            stageStep = state.StageStep;
            log.TruncateAfter(state.Step);
            lastCheckpoint = resume;
        }
        else
        {
            // A fresh stage starts from its own seed, so it runs the same after a restart as straight after the stage before.
            manual_seed(seed + 1000L * stageIndex);
            log.TruncateAfter(stepAtStart, stage.Name);
            if (eval is not null && stage.EvalAtStart)
                Evaluate(stage, eval, stepAtStart, 0);
        }

        // Examples for the next steps are decoded on other threads while this one computes.
        using var stream = new ExampleStream(train, position, PrefetchThreads, 2 * stage.BatchSize * stage.GradientAccumulation);
        SetTraining(true);
        Progress?.Report(new StageProgress(stage.Name, stageStep, total, null, null));
        var window = new LossWindow();
        var watch = Stopwatch.StartNew();
        while (stageStep < total)
        {
            using (var scope = NewDisposeScope())
            {
                optimizer.ZeroGrad();
                for (int micro = 0; micro < stage.GradientAccumulation; micro++)
                {
                    var samples = stream.NextBatch(stage.BatchSize);
                    using var batch = model.Collate(samples);
                    var context = model.Context(batch, training: true);
                    using var sink = context.Sink;
                    var loss = stage.Objective == StageObjective.Classify ? model.ClassifyLoss(batch, context) : model.Loss(batch, context);
                    var aux = sink.TotalLoss();
                    var objective = (aux is null ? loss : loss + aux * stage.AuxLossWeight) / stage.GradientAccumulation;
                    // A micro-batch that touches no trained parameter (text only, while only connectors train) has no graph.
                    if (objective.requires_grad)
                        objective.backward();
                    window.Add(loss.item<float>() / stage.GradientAccumulation, sink, batch.AttentionMask.sum().item<long>());
                }
                double norm = GradientNorm(chosen, stage.Clip);
                double stepLoss = window.CurrentStepLoss;
                if (!double.IsFinite(stepLoss) || !double.IsFinite(norm))
                    throw new TrainingDivergedException(
                        $"stage '{stage.Name}': the {(double.IsFinite(stepLoss) ? "gradient norm" : "loss")} is {(double.IsFinite(stepLoss) ? norm : stepLoss)} " +
                        $"at step {stageStep + 1}; the last good checkpoint is {lastCheckpoint ?? "none (nothing was saved in this stage yet)"}.");
                double factor = LearningRateSchedule.Factor(stageStep, total, stage.WarmupSteps, stage.Scheduler);
                optimizer.Step(factor);
                foreach (var mixture in mixtures)
                    mixture.StepAuxLosses();
                stageStep++;
                window.EndStep(norm);
                Progress?.Report(new StageProgress(stage.Name, stageStep, total, stepLoss, stage.LearningRate * factor));
                if (stageStep % Math.Max(1, stage.LogEvery) == 0 || stageStep == total)
                {
                    log.Write(window.Record(stage.Name, stepAtStart + stageStep, stageStep, stage.LearningRate * factor, watch.Elapsed.TotalSeconds));
                    console?.WriteLine($"[{stage.Name}] step {stageStep}/{total}  loss {window.LastLoss:F4}  lr {stage.LearningRate * factor:E2}");
                    window.Reset();
                    watch.Restart();
                }
            }
            if (eval is not null && stage.EvalEvery > 0 && stageStep % stage.EvalEvery == 0 && stageStep < total)
            {
                Evaluate(stage, eval, stepAtStart + stageStep, stageStep);
                SetTraining(true);
            }
            if (stage.SaveEvery > 0 && stageStep % stage.SaveEvery == 0 && stageStep < total)
            {
                lastCheckpoint = Path.Combine(stageFolder, $"step_{stageStep}");
                TrainingCheckpoint.Save(lastCheckpoint, saved, optimizer, State(stageIndex, stage, stepAtStart + stageStep, stageStep, position, trainedEarlier, false), CheckpointExtras);
                CheckpointFolders.Prune(stageFolder, stage.KeepLast);
            }
        }

        if (eval is not null)
            Evaluate(stage, eval, stepAtStart + stageStep, stageStep);
        var final = Path.Combine(stageFolder, "final");
        TrainingCheckpoint.Save(final, saved, null, State(stageIndex, stage, stepAtStart + stageStep, stageStep, position, trainedInFull, true), CheckpointExtras);
        TrainingPlots.Loss(log.Path, stage.Name, Path.Combine(stageFolder, "loss.png"));
        SetTraining(false);
        return new StageResult(stageStep, window.LastLoss, trainedInFull, final);
    }

    private static TrainerState State(int stageIndex, StageSettings stage, int step, int stageStep, DataPosition position,
        IReadOnlyList<string> trained, bool done)
    {
        using var rng = get_rng_state();
        return new TrainerState
        {
            StageIndex = stageIndex,
            Stage = stage.Name,
            Step = step,
            StageStep = stageStep,
            StageDone = done,
            Epoch = position.Epoch,
            EpochOffset = position.Offset,
            RngState = Convert.ToBase64String(rng.data<byte>().ToArray()),
            TrainedParameters = trained,
        };
    }

    // One optimiser group per learning rate: the first matching lr_groups pattern, else the stage's rate.
    private static IReadOnlyList<AdamWOptimizer.Group> Groups(StageSettings stage, IReadOnlyList<TrainableParameter> chosen) =>
        chosen.GroupBy(p => stage.LearningRateGroups.FirstOrDefault(g => Glob(g.Pattern, p.Name)) is { Pattern: not null } g ? g.LearningRate : stage.LearningRate)
              .Select(g => new AdamWOptimizer.Group($"lr={g.Key}", g.Select(p => (p.Name, p.Parameter)).ToList(), g.Key, stage.WeightDecay))
              .ToList();

    private static bool Glob(string pattern, string name) =>
        pattern == name || System.Text.RegularExpressions.Regex.IsMatch(name, "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*") + "$")
        || name.StartsWith(pattern + ".", StringComparison.Ordinal);

    // Global L2 norm of the gradients, scaled down to `clip` when above it (as torch's clip_grad_norm_).
    private static double GradientNorm(IReadOnlyList<TrainableParameter> chosen, double clip)
    {
        using var scope = NewDisposeScope();
        var grads = chosen.Select(p => p.Parameter.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0)
            return 0;
        var norm = stack(grads.Select(g => g.to(ScalarType.Float32).norm()).ToArray()).norm().item<float>();
        if (clip > 0 && norm > clip && double.IsFinite(norm))
            using (no_grad())
                foreach (var g in grads)
                    g.mul_(clip / (norm + 1e-6));
        return norm;
    }

    private void Evaluate(StageSettings stage, ITrainingExamples eval, int step, int stageStep)
    {
        var result = Evaluation.Run(model, eval, stage.BatchSize, stage.Objective);
        log.Write(new MetricsRecord(stage.Name, step, stageStep) { EvalLoss = result.Loss, EvalAccuracy = result.Accuracy, Extra = result.AccuracyByKind });
        console?.WriteLine($"[{stage.Name}] eval at step {stageStep}: loss {result.Loss ?? double.NaN:F4}" +
                           (result.Accuracy is double accuracy ? $"  accuracy {accuracy:P1} ({result.Correct}/{result.Asked})" : "") +
                           string.Concat(result.ByKind.Select(kv => $"  {kv.Key} {kv.Value.Correct}/{kv.Value.Asked}")));
    }

    private void SetTraining(bool training)
    {
        foreach (var (_, root) in model.Components)
            root.train(training);
    }
}
