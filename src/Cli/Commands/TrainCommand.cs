using System.CommandLine;
using MMAdapt.Finetune.Running;

namespace MMAdapt.Cli.Commands;

/// <summary><c>mmadapt train RECIPE [overrides] [--resume]</c>.</summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter output)
    {
        var recipe = RecipeArguments.Recipe();
        var overrides = RecipeArguments.Overrides();
        var resume = new Option<bool>("--resume") { Description = "Continue the run in the recipe's output_dir from its newest complete checkpoint." };
        var command = new Command("train", "Run a recipe's stages, logging, evaluating and checkpointing.") { recipe, overrides, resume };
        command.SetAction(parse =>
        {
            var loaded = RecipeArguments.Load(parse.GetValue(recipe)!, parse.GetValue(overrides) ?? []);
            bool resuming = parse.GetValue(resume);
            // Progress bars in a terminal; plain lines when the output is a file, a pipe or a test's writer.
            var result = TrainingProgressBars.Available(output)
                ? TrainingProgressBars.Run((lines, bars) => RecipeTrainer.Train(loaded, resuming, lines, bars))
                : RecipeTrainer.Train(loaded, resuming, output);
            output.WriteLine($"done: {result.OutputDir}");
            foreach (var stage in result.Stages)
                output.WriteLine($"  {Path.GetFileName(Path.GetDirectoryName(stage.FinalCheckpoint))}: {stage.Steps} steps, last loss {stage.LastLoss:F4}");
            return 0;
        });
        return command;
    }
}
