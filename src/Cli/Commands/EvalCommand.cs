using System.CommandLine;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Training;

namespace MMAdapt.Cli.Commands;

/// <summary><c>mmadapt eval RECIPE|OUTPUT_DIR</c>: evaluation loss and exact-match accuracy (classification accuracy when
/// the last stage classifies) of a trained run on its eval set.</summary>
internal static class EvalCommand
{
    public static Command Create(TextWriter output)
    {
        var target = new Argument<string>("RECIPE|OUTPUT_DIR") { Description = "A training output folder, or the recipe that wrote one." };
        var command = new Command("eval", "Evaluate a trained run on its eval set.") { target };
        command.SetAction(parse =>
        {
            var value = parse.GetValue(target)!;
            var folder = TrainedModel.IsOutputFolder(value) ? value : RecipeArguments.Load(value, []).OutputDir;
            if (!TrainedModel.IsOutputFolder(folder))
                throw new DirectoryNotFoundException($"{folder}: no training output (recipe.resolved.yaml) here; train the recipe first.");
            var (model, recipe, checkpoint) = TrainedModel.Load(folder);
            using var _ = model;
            var eval = recipe.EvaluationSet(recipe.Stages[^1]) ?? throw new ArgumentException($"recipe '{recipe.Name}' has no data.eval set.");
            var examples = ConversationExamples.Load(model, eval.Path, eval.MaxSamples);
            // The run's last stage says what the model was trained for (answers for lm, its head's labels for classify)
            // and its batch size, so the loss equals the run's last eval line in metrics.jsonl (a mean of batch means).
            var result = Evaluation.Run(model, examples, recipe.Stages[^1].BatchSize, recipe.Stages[^1].Objective);
            output.WriteLine($"checkpoint:    {checkpoint ?? "(none: untrained)"}");
            output.WriteLine($"eval_loss:     {result.Loss ?? double.NaN:F4}");
            if (result.Accuracy is double accuracy)
                output.WriteLine($"eval_accuracy: {accuracy:F4} ({result.Correct}/{result.Asked})");
            foreach (var (kind, (correct, asked)) in result.ByKind)
                output.WriteLine($"  {kind,-12} {correct / (double)asked:F4} ({correct}/{asked})");
            return 0;
        });
        return command;
    }
}
