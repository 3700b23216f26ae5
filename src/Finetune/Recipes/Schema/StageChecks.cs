using MMAdapt.Finetune.Recipes.Syntax;

using MMAdapt.Finetune.Training;
using MMAdapt.Finetune.Multimodal;
namespace MMAdapt.Finetune.Recipes.Schema;

/// <summary>The checks of <c>stages</c>: names, what each trains, its numbers, and what its gates and init refer to.</summary>
internal static class StageChecks
{
    /// <summary>Checks every stage of <paramref name="recipe"/>.</summary>
    public static void Check(Recipe recipe, RecipeReport report)
    {
        if (recipe.Stages.Count == 0)
        {
            report.Add("stages", "is required: at least one stage (name, train, lr, epochs or max_steps)");
            return;
        }
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < recipe.Stages.Count; i++)
        {
            var stage = recipe.Stages[i];
            var key = $"stages[{i}]";
            if (report.Required($"{key}.name", stage.Name, "a unique name (its checkpoints go to output_dir/NAME)"))
            {
                if (!RecipeValidator.SimpleName().IsMatch(stage.Name))
                    report.Add($"{key}.name", $"'{stage.Name}' may hold only letters, digits, '_' and '-' (it names a folder)");
                if (names.TryGetValue(stage.Name, out var earlier))
                    report.Add($"{key}.name", $"stage name '{stage.Name}' is already used by stages[{earlier}]");
                else
                    names[stage.Name] = i;
            }
            var components = RecipeComponents.Names(recipe, stage);
            CheckObjective(recipe, stage, key, report);
            CheckTrain(stage, key, components, report);
            CheckNumbers(recipe, stage, key, report);
            foreach (var (pattern, lr) in stage.LrGroups)
            {
                var groupKey = RecipePath.Key($"{key}.lr_groups", pattern);
                CheckReference(groupKey, pattern, components, report);
                report.Positive(groupKey, lr);
            }
            var adapters = recipe.Adapters.Select(a => a.Name).Distinct().ToArray();
            foreach (var gate in stage.Gates.Keys)
                report.OneOf(RecipePath.Key($"{key}.gates", gate), gate, adapters, $"the name of an adapter ({string.Join(", ", adapters)})");
            foreach (var (modality, settings) in stage.Connectors)
            {
                var connectorKey = RecipePath.Key($"{key}.connectors", modality);
                if (!recipe.Connectors.ContainsKey(modality))
                    report.Add(connectorKey, $"the recipe declares no connectors.{modality}; a stage can only swap a declared connector for another type");
                else
                    RecipeValidator.RequireConnectorType(connectorKey, settings, report);
            }
            foreach (var (component, init) in stage.Init)
                CheckInit(recipe, i, component, init, components, report);
        }
    }

    private static void CheckObjective(Recipe recipe, StageSpec stage, string key, RecipeReport report)
    {
        if (stage.Objective == StageObjective.LanguageModel)
        {
            if (stage.Head is not null)
                report.Add($"{key}.head", "is only for objective classify (this stage's objective is lm)");
            return;
        }
        if (stage.Head is not { } head)
        {
            report.Add($"{key}.head", "is required for objective classify: { component: audio, labels: N, pooling: mean|cls }");
            return;
        }
        var towers = RecipeComponents.Names(recipe).Where(c => !c.StartsWith("adapter:", StringComparison.Ordinal)).ToArray();
        if (report.Required($"{key}.head.component", head.Component, $"whose features are classified ({string.Join(", ", towers)})"))
            report.OneOf($"{key}.head.component", head.Component, towers, Components(towers));
        report.AtLeast($"{key}.head.labels", head.Labels, 2);
        // The model has one head, trained on across classify stages; a second, different head would need its own weights.
        var first = recipe.Stages.Select((s, i) => (s.Head, i)).First(h => h.Head is not null);
        if (first.Head != head)
            report.Add($"{key}.head", $"differs from the head of stages[{first.i}] ({Describe(first.Head!)}); every classify stage of a recipe " +
                                      "trains the same head: give the same component, labels and pooling");
    }

    private static string Describe(ClassifyHead head) =>
        $"component {head.Component}, labels {head.Labels}, pooling {head.Pooling.ToString().ToLowerInvariant()}";

    private static void CheckTrain(StageSpec stage, string key, IReadOnlyList<string> components, RecipeReport report)
    {
        if (stage.Train.Count == 0)
        {
            report.Add($"{key}.train", $"is empty: the stage would train nothing; name components ({string.Join(", ", components)}) or parameter globs");
            return;
        }
        for (var j = 0; j < stage.Train.Count; j++)
        {
            CheckReference($"{key}.train[{j}]", stage.Train[j], components, report);
            if (stage.Train.Take(j).Contains(stage.Train[j]))
                report.Add($"{key}.train[{j}]", $"'{stage.Train[j]}' is listed twice");
        }
    }

    // A component, a glob over components (must match one), or a parameter glob (left to the trainer).
    private static void CheckReference(string key, string entry, IReadOnlyList<string> components, RecipeReport report)
    {
        if (string.IsNullOrWhiteSpace(entry))
            report.Add(key, "is empty");
        else if (RecipeComponents.IsParameterPattern(entry) || RecipeComponents.Resolve(entry, components).Count > 0)
            return;
        else if (RecipeComponents.IsGlob(entry))
            report.Add(key, $"'{entry}' matches no component of this recipe ({string.Join(", ", components)})");
        else
        {
            var qualified = components.FirstOrDefault(c => c.EndsWith(":" + entry, StringComparison.Ordinal));
            var hint = qualified is not null ? $"; did you mean '{qualified}'?" : RecipeReport.DidYouMean(entry, components);
            report.Add(key, $"'{entry}' is not {Components(components)}{hint}");
        }
    }

    private static string Components(IEnumerable<string> components) => $"a component of this recipe ({string.Join(", ", components)})";

    private static void CheckNumbers(Recipe recipe, StageSpec stage, string key, RecipeReport report)
    {
        report.Positive($"{key}.lr", stage.Lr);
        if (stage.Epochs is null && stage.MaxSteps is null)
            report.Add(key, "says neither epochs nor max_steps: give one (how long the stage trains)");
        if (stage.Epochs is { } epochs)
            report.AtLeast($"{key}.epochs", epochs, 1);
        if (stage.MaxSteps is { } steps)
        {
            report.AtLeast($"{key}.max_steps", steps, 1);
            if (stage.WarmupSteps > steps)
                report.Add($"{key}.warmup_steps", $"{stage.WarmupSteps} warm-up steps is more than max_steps ({steps})");
        }
        report.AtLeast($"{key}.batch_size", stage.BatchSize, 1);
        report.AtLeast($"{key}.grad_accum", stage.GradAccum, 1);
        report.AtLeast($"{key}.warmup_steps", stage.WarmupSteps, 0);
        report.AtLeast($"{key}.weight_decay", stage.WeightDecay, 0);
        if (stage.Clip is { } clip)
            report.Positive($"{key}.clip", clip);
        report.AtLeast($"{key}.log_every", stage.LogEvery, 1);
        report.AtLeast($"{key}.eval_every", stage.EvalEvery, 0);
        report.AtLeast($"{key}.save_every", stage.SaveEvery, 0);
        report.AtLeast($"{key}.keep_last", stage.KeepLast, 1);
        report.AtLeast($"{key}.aux_loss_weight", stage.AuxLossWeight, 0);
        if (stage.EvalEvery > 0 && recipe.EvaluationSet(stage) is null)
            report.Add($"{key}.eval_every", "needs data.eval or the stage's data.eval (there is nothing to evaluate on)");
    }

    private static void CheckInit(Recipe recipe, int index, string component, StageInit init, IReadOnlyList<string> components, RecipeReport report)
    {
        var key = RecipePath.Key($"stages[{index}].init", component);
        report.OneOf(key, component, components, Components(components));
        var sources = new[] { init.FromStage, init.FromFile, init.UpcycleFrom }.Count(s => s is not null);
        if (sources != 1)
        {
            report.Add(key, $"gives {sources} sources: give exactly one of from_stage, from_file, upcycle_from");
            return;
        }
        if (init.FromStage is { } from)
        {
            var stages = recipe.Stages.Select(s => s.Name).ToList();
            var at = stages.IndexOf(from);
            if (at < 0)
                report.Add($"{key}.from_stage", $"no stage is named '{from}'{ClosestName.Hint(from, stages.Take(index).ToArray(), "earlier stages")}");
            else if (at >= index)
                report.Add($"{key}.from_stage", $"stage '{from}' (stages[{at}]) does not run before this one; name an earlier stage");
        }
        if (init.FromFile is { Length: 0 })
            report.Add($"{key}.from_file", "is empty");
        if (init.UpcycleFrom is { } source && components.Contains(component))
            CheckUpcycle(recipe, index, component, source, $"{key}.upcycle_from", report);
    }

    // A mixture of LoRA experts upcycles from a LoRA on the same component; a moe connector from an earlier stage's
    // connector of the same modality (or a weights file).
    private static void CheckUpcycle(Recipe recipe, int index, string component, string source, string key, RecipeReport report)
    {
        const string adapterPrefix = "adapter:", connectorPrefix = "connector:";
        if (component.StartsWith(adapterPrefix, StringComparison.Ordinal))
        {
            var mixture = recipe.Adapters.FirstOrDefault(a => adapterPrefix + a.Name == component);
            var lora = source.StartsWith(adapterPrefix, StringComparison.Ordinal) ? recipe.Adapters.FirstOrDefault(a => adapterPrefix + a.Name == source) : null;
            var loras = recipe.Adapters.Where(a => a.Type == "lora").Select(a => adapterPrefix + a.Name).ToArray();
            if (mixture is not null && mixture.Type != "lora_mixture")
                report.Add(key, $"only a lora_mixture adapter is upcycled from a LoRA; '{mixture.Name}' is {mixture.Type}");
            else if (lora is null || lora.Type != "lora")
                report.Add(key, $"'{source}' is not a lora adapter of this recipe{(loras.Length > 0 ? $" ({string.Join(", ", loras)})" : " (it has none)")}");
            else if (mixture is not null && lora.Component != mixture.Component)
                report.Add(key, $"'{source}' sits on {lora.Component} but '{mixture.Name}' on {mixture.Component}; upcycle from a LoRA on the same projections");
        }
        else if (component.StartsWith(connectorPrefix, StringComparison.Ordinal))
        {
            var modality = component[connectorPrefix.Length..];
            var stages = recipe.Stages.Select(s => s.Name).ToList();
            int at = stages.IndexOf(source);
            if (ConnectorType(recipe, recipe.Stages[index], modality) != "moe")
                report.Add(key, $"only a moe connector is upcycled; this stage's {component} is {ConnectorType(recipe, recipe.Stages[index], modality) ?? "not declared"}");
            else if (at >= index)
                report.Add(key, $"stage '{source}' (stages[{at}]) does not run before this one; name an earlier stage (or a weights file)");
            else if (at < 0 && !source.EndsWith(".safetensors", StringComparison.Ordinal))
                report.Add(key, $"names no earlier stage{ClosestName.Hint(source, stages.Take(index).ToArray(), "earlier stages")} and no .safetensors file");
        }
        else
            report.Add(key, "upcycling starts a lora_mixture adapter from a LoRA, or a moe connector from an earlier stage's connector; " +
                            $"'{component}' is neither");
    }

    /// <summary>The type of a stage's connector for <paramref name="modality"/>: the stage's own, else the recipe's.</summary>
    private static string? ConnectorType(Recipe recipe, StageSpec stage, string modality)
    {
        var json = stage.Connectors.TryGetValue(modality, out var own) ? own : recipe.Connectors.GetValueOrDefault(modality);
        return RecipeValidator.ConnectorTypeOf(json);
    }
}
