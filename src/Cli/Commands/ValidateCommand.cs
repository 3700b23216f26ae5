using System.CommandLine;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Training;

namespace MMAdapt.Cli.Commands;

/// <summary><c>mmadapt validate RECIPE [overrides]</c>: checks everything a run needs without loading any weights, and prints
/// what each stage trains.</summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter output)
    {
        var recipe = RecipeArguments.Recipe();
        var overrides = RecipeArguments.Overrides();
        var command = new Command("validate", "Check a recipe (config files only, no weights) and print the trainable parameters per stage.") { recipe, overrides };
        command.SetAction(parse =>
        {
            var loaded = RecipeArguments.Load(parse.GetValue(recipe)!, parse.GetValue(overrides) ?? []);
            RecipeTrainer.EnsureSyntheticData(loaded, output);
            RecipeValidator.ThrowIfInvalid(loaded, checkData: false);
            using var model = RecipeModelBuilder.Build(loaded, loadWeights: false);
            output.WriteLine($"recipe '{loaded.Name}' is valid; output_dir {loaded.OutputDir}");
            // Config-only folders and data not yet downloaded are fine here; training needs them and says so first.
            if (!MMAdapt.Models.LanguageModel.HasTokenizer(loaded.Model.Llm.Path))
                output.WriteLine($"  note: {loaded.Model.Llm.Path} has no tokenizer files (config-only); training needs them");
            foreach (var (key, file) in RecipeValidator.DatasetFiles(loaded).Where(f => !File.Exists(f.Path)))
                output.WriteLine($"  note: {key}: {file} does not exist yet; training needs it");
            var all = ParameterSelection.All(model.Components);
            foreach (var (component, _) in model.Components)
                output.WriteLine($"  {component,-18} {all.Where(p => p.Component == component).Sum(p => p.Parameter.numel()),15:N0} parameters");
            for (int i = 0; i < loaded.Stages.Count; i++)
            {
                var stage = loaded.Stages[i];
                RecipeModelBuilder.UseStageConnectors(model, loaded, i);
                all = ParameterSelection.All(model.Components);
                var chosen = ParameterSelection.Select(model.Components, stage.Train, stage.Name);
                long trainable = chosen.Sum(p => p.Parameter.numel()), total = all.Sum(p => p.Parameter.numel());
                output.WriteLine($"stage {stage.Name}: trains {trainable:N0} of {total:N0} parameters ({100.0 * trainable / total:F4}%): " +
                                 string.Join(", ", chosen.GroupBy(p => p.Component).Select(g => $"{g.Key} {g.Sum(p => p.Parameter.numel()):N0}")));
            }
            return 0;
        });
        return command;
    }
}
