using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Pill;
using MMAdapt.Adapters.Routing;
using MMAdapt.Connectors;
using MMAdapt.Core.Modules;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Finetune.Training;

namespace MMAdapt.Finetune.Running;

/// <summary>What a recipe run produced.</summary>
/// <param name="OutputDir">The run's folder.</param>
/// <param name="Stages">Each stage's result, in order (only the stages this call ran).</param>
public sealed record RecipeRunResult(string OutputDir, IReadOnlyList<StageResult> Stages);

/// <summary>
/// Runs a recipe from start to end: makes a declared synthetic dataset when it is missing, validates everything up
/// front (files included), writes <c>recipe.resolved.yaml</c>, builds the model, and runs the stages in order. With
/// <c>resume</c>, completed stages are skipped (their final weights loaded) and the interrupted stage continues from its
/// newest complete checkpoint, reproducing the uninterrupted run on CPU.
/// </summary>
public static class RecipeTrainer
{
    /// <summary>Runs the recipe.</summary>
    /// <param name="recipe">The recipe (as loaded, overrides applied).</param>
    /// <param name="resume">Continue a run in the same output folder.</param>
    /// <param name="console">Progress lines, or null.</param>
    /// <param name="progress">Receives each stage's position after every step (a progress bar), or null.</param>
    /// <exception cref="RecipeException">The recipe is invalid (every problem listed).</exception>
    /// <exception cref="InvalidOperationException">The output folder holds a run and <paramref name="resume"/> is false.</exception>
    public static RecipeRunResult Train(Recipe recipe, bool resume = false, TextWriter? console = null, IProgress<StageProgress>? progress = null)
    {
        EnsureSyntheticData(recipe, console);
        RecipeValidator.ThrowIfInvalid(recipe);
        var output = recipe.OutputDir;
        bool hasRun = recipe.Stages.Any(s => Directory.Exists(Path.Combine(output, s.Name)));
        if (hasRun && !resume)
            throw new InvalidOperationException($"{output} already holds a run; pass --resume to continue it, or choose another output_dir.");
        Directory.CreateDirectory(output);
        RecipeLoader.WriteResolved(recipe);

        using var statistics = new RoutingStatistics(Enum.GetValues<Modality>().Length);
        using var model = RecipeModelBuilder.Build(recipe, loadWeights: true, statistics);
        // Each dataset is read once, however many stages use it.
        var datasets = new Dictionary<DatasetSpec, ConversationExamples>();
        ConversationExamples Examples(DatasetSpec spec) =>
            datasets.TryGetValue(spec, out var loaded) ? loaded : datasets[spec] = ConversationExamples.Load(model, spec.Path, spec.MaxSamples);
        // All of them before the first step, and every classify stage's labels: a bad row in the last stage's data
        // should not wait hours to be found.
        foreach (var stage in recipe.Stages)
        {
            var stageTrain = Examples(recipe.TrainingSet(stage));
            var stageEval = recipe.EvaluationSet(stage) is { } evalSet ? Examples(evalSet) : null;
            if (stage.Head is { } head)
            {
                stageTrain.CheckClassLabels(head.Labels);
                stageEval?.CheckClassLabels(head.Labels);
            }
        }
        using var log = new MetricsLog(output);
        var runner = new StageRunner(model, output, recipe.Seed, log, console) 
        {
            CheckpointExtras = CheckpointAdapters.For(recipe, model).Write,
            Progress = progress,
        };

        int step = 0;
        IReadOnlyList<string> trained = [];
        var results = new List<StageResult>();
        for (int i = 0; i < recipe.Stages.Count; i++)
        {
            var stage = recipe.Stages[i];
            var folder = Path.Combine(output, stage.Name);
            var final = Path.Combine(folder, "final");
            foreach (var swapped in RecipeModelBuilder.UseStageConnectors(model, recipe, i, statistics))
                console?.WriteLine($"[{stage.Name}] connector:{swapped}: {(stage.Connectors.ContainsKey(swapped) ? "this stage's own" : "the recipe's")} {model.Components.First(c => c.Component == $"connector:{swapped}").Root.GetType().Name}");
            if (resume && Directory.Exists(final))
            {
                // Done before: its final checkpoint holds everything trained up to here.
                var state = TrainingCheckpoint.ReadState(final);
                TrainingCheckpoint.LoadWeights(final, ParameterSelection.All(model.Components));
                (step, trained) = (state.Step, state.TrainedParameters);
                console?.WriteLine($"[{stage.Name}] already complete (step {state.Step}); skipped.");
                continue;
            }
            ApplyGates(model, stage);
            var resumeFrom = resume ? CheckpointFolders.Steps(folder).Select(s => s.Folder).LastOrDefault() : null;
            if (resumeFrom is null)
                Initialise(model, recipe, stage, console);
            statistics.Reset();
            var eval = recipe.EvaluationSet(stage) is { } stageEval ? Examples(stageEval) : null;
            var result = runner.Run(i, Settings(stage), Examples(recipe.TrainingSet(stage)), eval, step, trained, resumeFrom);
            PlotExperts(statistics, folder, stage.Name);
            results.Add(result);
            (step, trained) = (step + result.Steps, result.TrainedParameters);
        }
        return new RecipeRunResult(Path.GetFullPath(output), results);
    }

    /// <summary>The trainer's settings for a recipe stage.</summary>
    public static StageSettings Settings(StageSpec s) => new()
    {
        Name = s.Name,
        Objective = s.Objective,
        Train = s.Train,
        LearningRate = s.Lr,
        LearningRateGroups = s.LrGroups.Select(kv => (kv.Key, kv.Value)).ToList(),
        Epochs = s.Epochs,
        MaxSteps = s.MaxSteps,
        BatchSize = s.BatchSize,
        GradientAccumulation = s.GradAccum,
        WarmupSteps = s.WarmupSteps,
        Scheduler = s.Scheduler,
        WeightDecay = s.WeightDecay,
        Clip = s.Clip ?? 0,
        LogEvery = s.LogEvery,
        EvalEvery = s.EvalEvery,
        EvalAtStart = s.EvalAtStart,
        SaveEvery = s.SaveEvery,
        KeepLast = s.KeepLast,
        AuxLossWeight = s.AuxLossWeight,
    };

    /// <summary>Generates the recipe's synthetic dataset into the training file's folder when it is declared and missing.</summary>
    public static void EnsureSyntheticData(Recipe recipe, TextWriter? console)
    {
        if (recipe.Data.Synth is not { } synth || File.Exists(recipe.Data.Train.Path))
            return;
        var folder = Path.GetDirectoryName(Path.GetFullPath(recipe.Data.Train.Path))!;
        console?.WriteLine($"generating the synthetic dataset in {folder} ...");
        SyntheticDataset.Generate(folder, new SyntheticDatasetOptions { Seed = synth.Seed, Count = synth.Count, TestCount = synth.TestCount });
    }

    /// <summary>Sets a stage's gate switches (<c>gates:</c>): PILL's MAG off during alignment, on afterwards.</summary>
    /// <exception cref="InvalidDataException">A gate name no modality attention gate has.</exception>
    public static void ApplyGates(MultimodalModel model, StageSpec stage)
    {
        foreach (var (name, enabled) in stage.Gates)
        {
            var gates = model.Components.SelectMany(c => c.Root.named_modules())
                .Where(m => m.module is ModalityAttentionGate && m.name.EndsWith($".adapters.{name}", StringComparison.Ordinal))
                .Select(m => (ModalityAttentionGate)m.module).ToList();
            if (gates.Count == 0)
                throw new InvalidDataException($"stage '{stage.Name}': gates.{name}: no modality attention gate (mag adapter) is called '{name}'.");
            foreach (var gate in gates)
                gate.Enabled = enabled;
        }
    }

    // How a stage's parts start: from an earlier stage's final checkpoint, from a file, or upcycled (MoE connector).
    private static void Initialise(MultimodalModel model, Recipe recipe, StageSpec stage, TextWriter? console)
    {
        foreach (var (component, init) in stage.Init)
        {
            if (init.UpcycleFrom is { } lora && component.StartsWith("adapter:", StringComparison.Ordinal))
            {
                var mixture = recipe.Adapters.First(a => $"adapter:{a.Name}" == component);
                var root = model.Components.First(c => c.Component == mixture.Component).Root;
                int count = MixtureUpcycling.Upcycle(root, mixture.Name, lora["adapter:".Length..], Noise(init, stage, component),
                    init.Settings["keep_source"]?.GetValue<bool>() ?? false, recipe.Seed + 31);
                console?.WriteLine($"[{stage.Name}] {component}: experts upcycled from {lora} at {count} projections");
                continue;
            }
            if (init.UpcycleFrom is { } upcycle)
            {
                var connector = component switch
                {
                    "connector:image" => model.ImageConnector,
                    "connector:audio" => model.AudioConnector,
                    _ => null,
                } as MoeConnector ?? throw new InvalidDataException($"stage '{stage.Name}': init.{component}.upcycle_from needs a moe connector at '{component}'.");
                var (weights, prefix) = WeightsOf(recipe, upcycle, component);
                using (var generator = new TorchSharp.torch.Generator((ulong)(recipe.Seed + 31)))
                    ConnectorInit.UpcycleExperts(connector, weights, prefix, Noise(init, stage, component), generator);
                console?.WriteLine($"[{stage.Name}] {component}: experts upcycled from {upcycle}");
                continue;
            }
            var (source, sourcePrefix) = init.FromStage is { } from ? WeightsOf(recipe, from, component) : (init.FromFile!, "");
            var targets = ParameterSelection.All(model.Components).Where(p => p.Component == component).ToList();
            using var file = Core.Checkpoints.SafetensorsFile.Open(source);
            foreach (var p in targets)
            {
                var key = sourcePrefix + p.Name[(component.Length + 1)..];
                if (!file.Contains(key))
                    throw new InvalidDataException($"stage '{stage.Name}': init.{component}: {source} has no tensor '{key}'.");
                file.ReadInto(key, p.Parameter);
            }
            console?.WriteLine($"[{stage.Name}] {component}: initialised from {source}");
        }
    }

    // settings.noise of an upcycling init: the standard deviation of the noise on each expert (default 0).
    private static double Noise(StageInit init, StageSpec stage, string component) =>
        init.Settings["noise"] is { } noise ? noise.GetValue<double>() is var value && value >= 0 ? value
            : throw new InvalidDataException($"stage '{stage.Name}': init.{component}.settings.noise must be >= 0, got {value}.") : 0;

    // An earlier stage's final weights of one component: (file, key prefix); a path that is a file is used as it is.
    private static (string File, string Prefix) WeightsOf(Recipe recipe, string stageOrFile, string component) =>
        recipe.Stages.Any(s => s.Name == stageOrFile)
            ? (Path.Combine(recipe.OutputDir, stageOrFile, "final", TrainingCheckpoint.WeightsFile), component + ".")
            : (stageOrFile, "");

    // experts.png: router x expert load share, one picture per token modality seen.
    private static void PlotExperts(RoutingStatistics statistics, string folder, string stage)
    {
        var snapshot = statistics.Snapshot();
        foreach (var modality in Enum.GetValues<Modality>())
        {
            var name = modality.ToString().ToLowerInvariant();
            var file = modality == Modality.Text ? "experts.png" : $"experts_{name}.png";
            TrainingPlots.RoutingLoad(snapshot, modality, $"{stage}: expert load share ({name} tokens)")?.Save(Path.Combine(folder, file));
        }
    }
}
