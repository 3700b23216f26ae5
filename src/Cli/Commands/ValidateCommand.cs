using System.CommandLine;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;

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
            var plan = RecipePlan.Of(loaded);
            output.WriteLine($"recipe '{loaded.Name}' is valid; output_dir {loaded.OutputDir}");
            foreach (var note in plan.Notes)
                output.WriteLine($"  note: {note}");
            foreach (var (component, parameters) in plan.Components)
                output.WriteLine($"  {component,-18} {parameters,15:N0} parameters");
            foreach (var stage in plan.Stages)
                output.WriteLine($"stage {stage.Stage}: trains {stage.Trainable:N0} of {stage.Total:N0} parameters ({100.0 * stage.Trainable / stage.Total:F4}%): " +
                                 string.Join(", ", stage.ByComponent.Select(c => $"{c.Component} {c.Parameters:N0}")));
            return 0;
        });
        return command;
    }
}
