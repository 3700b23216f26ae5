using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Training;

namespace MMAdapt.Finetune.Running;

/// <summary>Reopens a training output folder: the exact model its <c>recipe.resolved.yaml</c> describes, with the newest
/// trained weights (the last finished stage's final checkpoint, or a later stage's newest step checkpoint).</summary>
public static class TrainedModel
{
    /// <summary>True when <paramref name="folder"/> is a training output folder.</summary>
    public static bool IsOutputFolder(string folder) => File.Exists(Path.Combine(folder, RecipeLoader.ResolvedFileName));

    /// <summary>Builds the model and loads the newest trained weights.</summary>
    /// <returns>The model, its recipe, and the checkpoint loaded (null when no stage has saved anything yet).</returns>
    public static (MultimodalModel Model, Recipe Recipe, string? Checkpoint) Load(string outputDir)
    {
        var recipe = RecipeLoader.LoadResolved(outputDir);
        var model = RecipeModelBuilder.Build(recipe);
        try
        {
            string? checkpoint = null;
            int reached = 0;
            for (int i = 0; i < recipe.Stages.Count; i++)
            {
                var stage = recipe.Stages[i];
                var folder = Path.Combine(outputDir, stage.Name);
                var final = Path.Combine(folder, "final");
                var newest = Directory.Exists(final) ? final : CheckpointFolders.Steps(folder).Select(s => s.Folder).LastOrDefault();
                if (newest is not null)
                    (checkpoint, reached) = (newest, i);
                if (!Directory.Exists(final))
                    break;
            }
            RecipeModelBuilder.UseStageConnectors(model, recipe, reached);
            if (checkpoint is not null)
                TrainingCheckpoint.LoadWeights(checkpoint, ParameterSelection.All(model.Components));
            // Gates as the stage that wrote the weights had them (an alignment checkpoint runs with its gates shut);
            // a stage without a setting keeps the one before it, as in training.
            foreach (var stage in recipe.Stages.Take(reached + 1))
                RecipeTrainer.ApplyGates(model, stage);
            return (model, recipe, checkpoint);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
