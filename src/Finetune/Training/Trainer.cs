using MMAdapt.Finetune.Multimodal;

namespace MMAdapt.Finetune.Training;

/// <summary>
/// Trains a model stage after stage from code (a notebook), keeping between stages what a recipe run keeps: the
/// global step, the parameters trained so far (saved in every later checkpoint) and one <c>metrics.jsonl</c>.
/// Each stage is a <see cref="StageRunner"/> run into <c>&lt;output&gt;/&lt;stage&gt;/</c>.
/// </summary>
/// <example>
/// <code>
/// var trainer = new Trainer(model, "runs/notebook", overwrite: true);
/// trainer.Train(new StageSettings { Name = "align", Train = ["connector:image"], MaxSteps = 100 }, train, eval);
/// trainer.Metrics().PlotLoss("align")
/// </code>
/// </example>
public sealed class Trainer
{
    private readonly MetricsLog log;
    private readonly List<(StageSettings Settings, StageResult Result)> stages = [];
    private int step;
    private IReadOnlyList<string> trained = [];

    /// <summary>Prepares a run in <paramref name="outputDir"/>.</summary>
    /// <param name="model">The model to train (its adapters attached).</param>
    /// <param name="outputDir">Where stages write checkpoints, metrics and plots.</param>
    /// <param name="seed">Seed of the data order.</param>
    /// <param name="console">Progress lines, or null for none.</param>
    /// <param name="overwrite">Delete what an earlier run left in <paramref name="outputDir"/> (re-running a notebook);
    /// otherwise a folder holding a run is an error.</param>
    /// <exception cref="InvalidOperationException">The folder holds a run and <paramref name="overwrite"/> is false.</exception>
    public Trainer(MultimodalModel model, string outputDir, long seed = 0, TextWriter? console = null, bool overwrite = false)
    {
        Model = model;
        OutputDir = Path.GetFullPath(outputDir);
        Seed = seed;
        Console = console;
        if (Directory.Exists(OutputDir) && Directory.EnumerateFileSystemEntries(OutputDir).Any())
        {
            if (!overwrite)
                throw new InvalidOperationException($"{OutputDir} already holds a run; choose another folder or pass overwrite: true to replace it.");
            Directory.Delete(OutputDir, recursive: true);
        }
        Directory.CreateDirectory(OutputDir);
        log = new MetricsLog(OutputDir, tensorBoard: false);
    }

    /// <summary>The model being trained.</summary>
    public MultimodalModel Model { get; }

    /// <summary>The run's folder (absolute).</summary>
    public string OutputDir { get; }

    /// <summary>Seed of the data order (each stage draws its own order from it and its index).</summary>
    public long Seed { get; }

    /// <summary>Where progress lines go, or null.</summary>
    public TextWriter? Console { get; }

    /// <summary>Optimiser steps taken so far, over all stages.</summary>
    public int Step => step;

    /// <summary>The stages run so far with their results.</summary>
    public IReadOnlyList<(StageSettings Settings, StageResult Result)> Stages => stages;

    /// <summary>Runs one stage: trains what <see cref="StageSettings.Train"/> selects, evaluates on
    /// <paramref name="eval"/> when given (at its start and end, and every <see cref="StageSettings.EvalEvery"/> steps).</summary>
    /// <exception cref="ArgumentException">A stage of that name ran already, the selection matches nothing, or the
    /// training set is empty.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite (names the step).</exception>
    public StageResult Train(StageSettings stage, ITrainingExamples train, ITrainingExamples? eval = null)
    {
        if (stages.Any(s => s.Settings.Name == stage.Name))
            throw new ArgumentException($"a stage called '{stage.Name}' ran already in {OutputDir}; give each stage its own name.", nameof(stage));
        var runner = new StageRunner(Model, OutputDir, Seed, log, Console);
        var result = runner.Run(stages.Count, stage, train, eval, step, trained);
        stages.Add((stage, result));
        (step, trained) = (step + result.Steps, result.TrainedParameters);
        return result;
    }

    /// <summary>What the run has logged so far.</summary>
    public TrainingMetrics Metrics() => TrainingMetrics.Load(OutputDir);
}
