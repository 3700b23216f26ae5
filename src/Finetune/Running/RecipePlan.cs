using MMAdapt.Core.Display;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Training;

namespace MMAdapt.Finetune.Running;

/// <summary>What one stage of a <see cref="RecipePlan"/> trains.</summary>
/// <param name="Stage">The stage's name.</param>
/// <param name="Trainable">Values it trains.</param>
/// <param name="Total">All values of the model during that stage (its connectors in place).</param>
/// <param name="ByComponent">Values it trains per component, in component order.</param>
public sealed record StagePlan(string Stage, long Trainable, long Total, IReadOnlyList<(string Component, long Parameters)> ByComponent);

/// <summary>
/// What a recipe will build and train, found without loading any weights (the model is built on the meta device):
/// parameters per component and, per stage, what trains. <c>mmadapt validate</c> prints it.
/// </summary>
/// <param name="Recipe">The recipe's name.</param>
/// <param name="Components">Values per component (adapters included), in component order.</param>
/// <param name="Stages">Per stage, in order.</param>
/// <param name="Notes">Things training will need that are not there yet (config-only folders, data not downloaded).</param>
[TypeFormatterSource(typeof(RichDisplayFormatters))]
public sealed record RecipePlan(string Recipe, IReadOnlyList<(string Component, long Parameters)> Components,
    IReadOnlyList<StagePlan> Stages, IReadOnlyList<string> Notes) : IRichDisplay
{
    /// <summary>Validates the recipe (everything but the data rows), builds its shapes and lists what each stage trains.</summary>
    /// <exception cref="RecipeException">The recipe is invalid (every problem listed).</exception>
    public static RecipePlan Of(Recipe recipe)
    {
        RecipeValidator.ThrowIfInvalid(recipe, checkData: false);
        using var model = RecipeModelBuilder.Build(recipe, loadWeights: false);
        var notes = new List<string>();
        // Config-only folders and data not yet downloaded are fine for a plan; training needs them and says so first.
        if (!Models.LanguageModel.HasTokenizer(recipe.Model.Llm.Path))
            notes.Add($"{recipe.Model.Llm.Path} has no tokenizer files (config-only); training needs them");
        foreach (var (key, file) in RecipeValidator.DatasetFiles(recipe).Where(f => !File.Exists(f.Path)))
            notes.Add($"{key}: {file} does not exist yet; training needs it");
        var all = ParameterSelection.All(model.Components);
        var components = model.Components.Select(c => (c.Component, all.Where(p => p.Component == c.Component).Sum(p => p.Parameter.numel()))).ToList();
        var stages = new List<StagePlan>();
        for (int i = 0; i < recipe.Stages.Count; i++)
        {
            var stage = recipe.Stages[i];
            RecipeModelBuilder.UseStageConnectors(model, recipe, i);
            all = ParameterSelection.All(model.Components);
            var chosen = ParameterSelection.Select(model.Components, stage.Train, stage.Name);
            stages.Add(new StagePlan(stage.Name, chosen.Sum(p => p.Parameter.numel()), all.Sum(p => p.Parameter.numel()),
                chosen.GroupBy(p => p.Component).Select(g => (g.Key, g.Sum(p => p.Parameter.numel()))).ToList()));
        }
        return new RecipePlan(recipe.Name, components, stages, notes);
    }

    /// <summary>One row per stage: what it trains, how much, and which share of the model.</summary>
    public DisplayTable ToTable()
    {
        var table = new DisplayTable("stage", "trains", "trainable>", "of>", "share>") { Title = $"Recipe '{Recipe}'" };
        foreach (var s in Stages)
            table.Add(s.Stage, string.Join(", ", s.ByComponent.Select(c => $"{c.Component} {DisplayTable.Count(c.Parameters)}")),
                DisplayTable.Count(s.Trainable), DisplayTable.Count(s.Total), DisplayTable.Percent(s.Total == 0 ? 0 : (double)s.Trainable / s.Total, 4));
        table.Notes.Add(string.Join(", ", Components.Select(c => $"{c.Component} {DisplayTable.Count(c.Parameters)}")));
        table.Notes.AddRange(Notes.Select(n => "note: " + n));
        return table;
    }

    /// <inheritdoc/>
    public string ToText() => ToTable().ToText();

    /// <inheritdoc/>
    public string ToHtml() => ToTable().ToHtml();

    /// <inheritdoc/>
    public override string ToString() => ToText();
}
