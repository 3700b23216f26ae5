using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MMAdapt.Core.Devices;
using MMAdapt.Finetune.Recipes.Schema;
using MMAdapt.Finetune.Recipes.Syntax;

namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// Checks a recipe as a whole, before anything is built or trained, and reports every problem at once, each naming
/// its key path (<c>stages[1].train[0]</c>) and, for a loaded recipe, the file and line: required keys, values out of
/// range, names that must be unique (adapters, stages), references that must resolve (a stage's <c>train</c>,
/// <c>lr_groups</c>, <c>gates</c> and <c>init</c>, an adapter's <c>component</c>), and, with <c>checkFiles</c>, the
/// checkpoint folders and dataset files on disk. Settings objects are the business of the layers that parse them;
/// only their <c>type</c> is checked here. Like torchtune's <c>tune validate</c>, but with every problem in one report.
/// </summary>
public static partial class RecipeValidator
{
    /// <summary>The connector names: the modality whose tower feeds each.</summary>
    public static IReadOnlyList<string> ConnectorNames { get; } = ["image", "audio"];

    /// <summary>Every problem of <paramref name="recipe"/>.</summary>
    /// <param name="recipe">The recipe (loaded or built in code).</param>
    /// <param name="checkFiles">Also check that the checkpoint folders (with <c>config.json</c>), the dataset files
    /// (unless <c>data.synth</c> generates them) and <c>init.*.from_file</c> exist.</param>
    /// <param name="checkData">With <paramref name="checkFiles"/>: check the dataset files too (<c>validate</c> only
    /// notes missing ones: a recipe for real models is checked before its data is downloaded).</param>
    /// <returns>The problems; empty when the recipe is usable.</returns>
    public static IReadOnlyList<RecipeProblem> Check(Recipe recipe, bool checkFiles = true, bool checkData = true)
    {
        var report = new RecipeReport(recipe);
        report.Required("name", recipe.Name, "the run's name");
        report.Required("output_dir", recipe.OutputDir, "the folder for checkpoints and logs");
        if (recipe.Device is not ("auto" or "cpu" or "cuda") && !CudaIndex().IsMatch(recipe.Device))
            report.Add("device", $"'{recipe.Device}' is not one of {string.Join(", ", DeviceChoice.DeviceNames)}");
        report.OneOf("dtype", recipe.Dtype, DeviceChoice.DtypeNames.ToArray(), $"one of {string.Join(", ", DeviceChoice.DtypeNames)}");
        CheckModel(recipe.Model, report);
        CheckConnectors(recipe, report);
        CheckAdapters(recipe, report);
        CheckData(recipe, report);
        StageChecks.Check(recipe, report);
        if (checkFiles)
            CheckFiles(recipe, report, checkData);
        return report.Problems;
    }

    /// <summary>Throws when <paramref name="recipe"/> has problems.</summary>
    /// <param name="recipe">The recipe.</param>
    /// <param name="checkFiles">As for <see cref="Check"/>.</param>
    /// <param name="checkData">As for <see cref="Check"/>.</param>
    /// <exception cref="RecipeException">One exception listing every problem.</exception>
    public static void ThrowIfInvalid(Recipe recipe, bool checkFiles = true, bool checkData = true)
    {
        var problems = Check(recipe, checkFiles, checkData);
        if (problems.Count > 0)
            throw new RecipeException(problems, recipe.Source?.File);
    }

    private static void CheckModel(ModelSection model, RecipeReport report)
    {
        report.Required("model.llm.path", model.Llm.Path, "the language model's checkpoint folder");
        if (model.Llm.ChatTemplate is { } template)
            report.OneOf("model.llm.chat_template", template, Models.Chat.ChatTemplate.Names.ToArray(),
                $"a built-in chat template ({string.Join(", ", Models.Chat.ChatTemplate.Names)}; leave it out to recognise the checkpoint's)");
        if (model.Vision is { } vision)
            report.Required("model.vision.path", vision.Path, "the vision tower's checkpoint folder");
        if (model.Audio is { } audio)
            report.Required("model.audio.path", audio.Path, "the audio tower's checkpoint folder");
    }

    private static void CheckConnectors(Recipe recipe, RecipeReport report)
    {
        foreach (var (name, settings) in recipe.Connectors)
        {
            var key = RecipePath.Key("connectors", name);
            if (!ConnectorNames.Contains(name))
                report.Add(key, $"unknown connector '{name}': connectors are named by modality{ClosestName.Hint(name, ConnectorNames.ToArray(), "valid")}");
            else if (name == "image" && recipe.Model.Vision is null)
                report.Add(key, "needs model.vision (the tower whose features it maps)");
            else if (name == "audio" && recipe.Model.Audio is null)
                report.Add(key, "needs model.audio (the tower whose features it maps)");
            RequireConnectorType(key, settings, report);
        }
    }

    /// <summary>A connector settings object's <c>type</c>, or null when it has none (or not a non-empty string).</summary>
    internal static string? ConnectorTypeOf(JsonObject? settings) =>
        settings?["type"] is JsonValue type && type.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    /// <summary>Reports <c>KEY.type</c> as required when <paramref name="settings"/> has no connector type.</summary>
    internal static void RequireConnectorType(string key, JsonObject settings, RecipeReport report)
    {
        if (ConnectorTypeOf(settings) is null)
            report.Add($"{key}.type", "is required: the connector type (linear, mlp, resampler, window_resampler, downsample, moe)");
    }

    private static void CheckAdapters(Recipe recipe, RecipeReport report)
    {
        var components = RecipeComponents.Names(recipe).Where(c => !c.StartsWith("adapter:", StringComparison.Ordinal)).ToArray();
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < recipe.Adapters.Count; i++)
        {
            var adapter = recipe.Adapters[i];
            var key = $"adapters[{i}]";
            if (report.Required($"{key}.name", adapter.Name, "a unique name (stages train it as adapter:NAME)"))
            {
                if (!SimpleName().IsMatch(adapter.Name))
                    report.Add($"{key}.name", $"'{adapter.Name}' may hold only letters, digits, '_' and '-'");
                if (first.TryGetValue(adapter.Name, out var earlier))
                    report.Add($"{key}.name", $"adapter name '{adapter.Name}' is already used by adapters[{earlier}]");
                else
                    first[adapter.Name] = i;
            }
            if (report.Required($"{key}.type", adapter.Type, $"one of {string.Join(", ", AdapterSpec.Types)}"))
                report.OneOf($"{key}.type", adapter.Type, AdapterSpec.Types.ToArray(), $"one of {string.Join(", ", AdapterSpec.Types)}");
            report.OneOf($"{key}.component", adapter.Component, components, $"a component of this recipe ({string.Join(", ", components)})");
            CheckTargets($"{key}.targets", adapter.Targets, report);
            if (adapter.Layers is { } layers)
                for (var j = 0; j < layers.Count; j++)
                {
                    report.AtLeast($"{key}.layers[{j}]", layers[j], 0);
                    if (layers.Take(j).Contains(layers[j]))
                        report.Add($"{key}.layers[{j}]", $"layer {layers[j]} is listed twice");
                }
        }
    }

    private static void CheckTargets(string key, Adapters.Targeting.ModuleSelector? targets, RecipeReport report)
    {
        if (targets is null)
            return;
        if (targets.Names is { } names)
        {
            if (names.Count == 0)
                report.Add(key, "is empty: name modules (q_proj, v_proj), give a regex string, all-linear, or leave targets out");
            for (var i = 0; i < names.Count; i++)
                if (string.IsNullOrWhiteSpace(names[i]))
                    report.Add($"{key}[{i}]", "is empty");
            return;
        }
        if (string.IsNullOrWhiteSpace(targets.Pattern))
        {
            report.Add(key, "is empty: name modules (q_proj, v_proj), give a regex string, all-linear, or leave targets out");
            return;
        }
        try
        {
            _ = new Regex(targets.Pattern);
        }
        catch (ArgumentException e)
        {
            report.Add(key, $"'{targets.Pattern}' is not a regular expression: {e.Message}");
        }
    }

    private static void CheckData(Recipe recipe, RecipeReport report)
    {
        var data = recipe.Data;
        CheckDataset("data.train", data.Train, report);
        if (data.Eval is { } eval)
            CheckDataset("data.eval", eval, report);
        report.AtLeast("data.max_seq_len", data.MaxSeqLen, 1);
        for (int i = 0; i < recipe.Stages.Count; i++)
        {
            if (recipe.Stages[i].Data?.Train is { } train)
                CheckDataset($"stages[{i}].data.train", train, report);
            if (recipe.Stages[i].Data?.Eval is { } stageEval)
                CheckDataset($"stages[{i}].data.eval", stageEval, report);
        }
        if (data.Synth is { } synth)
        {
            report.AtLeast("data.synth.count", synth.Count, 1);
            report.AtLeast("data.synth.test_count", synth.TestCount, 0);
        }
    }

    private static void CheckDataset(string key, DatasetSpec dataset, RecipeReport report)
    {
        report.Required($"{key}.path", dataset.Path, "the dataset file");
        report.Required($"{key}.format", dataset.Format, "the row format, or auto");
        if (dataset.MaxSamples is { } max)
            report.AtLeast($"{key}.max_samples", max, 1);
    }

    /// <summary>The dataset files a run reads that must exist before it starts, as (key, path): the recipe's
    /// (unless <c>data.synth</c> generates them) and each stage's.</summary>
    public static IReadOnlyList<(string Key, string Path)> DatasetFiles(Recipe recipe)
    {
        var files = new List<(string, string)>();
        if (recipe.Data.Synth is null)
        {
            files.Add(("data.train.path", recipe.Data.Train.Path));
            if (recipe.Data.Eval is { } eval)
                files.Add(("data.eval.path", eval.Path));
        }
        for (int i = 0; i < recipe.Stages.Count; i++)
        {
            if (recipe.Stages[i].Data?.Train is { } train)
                files.Add(($"stages[{i}].data.train.path", train.Path));
            if (recipe.Stages[i].Data?.Eval is { } eval)
                files.Add(($"stages[{i}].data.eval.path", eval.Path));
        }
        return files.Where(f => f.Item2.Length > 0).Distinct().ToList();
    }

    private static void CheckFiles(Recipe recipe, RecipeReport report, bool checkData)
    {
        CheckCheckpoint("model.llm.path", recipe.Model.Llm.Path, report);
        if (recipe.Model.Vision is { } vision)
            CheckCheckpoint("model.vision.path", vision.Path, report);
        if (recipe.Model.Audio is { } audio)
            CheckCheckpoint("model.audio.path", audio.Path, report);
        if (checkData)
            foreach (var (key, file) in DatasetFiles(recipe))
                CheckFile(key, file, "dataset file", report, key.StartsWith("data.", StringComparison.Ordinal) ? " (or set data.synth to generate it)" : "");
        for (var i = 0; i < recipe.Stages.Count; i++)
            foreach (var (component, init) in recipe.Stages[i].Init)
                if (init.FromFile is { Length: > 0 } file && !Directory.Exists(file))
                    CheckFile(RecipePath.Key(RecipePath.Key($"stages[{i}].init", component), "from_file"), file, "weights file", report);
    }

    private static void CheckCheckpoint(string key, string folder, RecipeReport report)
    {
        if (folder.Length == 0)
            return;
        if (!Directory.Exists(folder))
            report.Add(key, $"checkpoint folder not found: {folder}");
        else if (!File.Exists(Path.Combine(folder, "config.json")))
            report.Add(key, $"no config.json in {folder} (a Hugging Face checkpoint folder has one)");
    }

    private static void CheckFile(string key, string file, string what, RecipeReport report, string advice = "")
    {
        if (file.Length > 0 && !File.Exists(file))
            report.Add(key, $"{what} not found: {file}{advice}");
    }

    [GeneratedRegex("^cuda:[0-9]+$")]
    private static partial Regex CudaIndex();

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    internal static partial Regex SimpleName();
}
