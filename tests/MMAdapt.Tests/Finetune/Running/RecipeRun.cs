using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Tests.TestSupport;

namespace MMAdapt.Tests.Finetune.Running;

/// <summary>
/// A shipped recipe run once to the end in process, on its declared synthetic data (the recipe's synth settings)
/// generated into a temporary folder: the uninterrupted run that other tests compare against.
/// </summary>
public abstract class RecipeRun : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string recipeFile;
    private readonly string trainFile;
    private readonly string evalFile;

    /// <param name="recipeFile">The recipe (copied next to the tests with the checkpoints it names).</param>
    /// <param name="trainFile">The generated file it trains on.</param>
    /// <param name="evalFile">The generated file it evaluates on.</param>
    protected RecipeRun(string recipeFile, string trainFile, string evalFile)
    {
        (this.recipeFile, this.trainFile, this.evalFile) = (recipeFile, trainFile, evalFile);
        var declared = RecipeLoader.Load(recipeFile).Data.Synth!;
        SyntheticDataset.Generate(DataFolder, new SyntheticDatasetOptions { Seed = declared.Seed, Count = declared.Count, TestCount = declared.TestCount });
        Console = new StringWriter();
        Result = RecipeTrainer.Train(Recipe(OutputDir), console: Console);
    }

    public string DataFolder => temp.File("data");

    /// <summary>The uninterrupted run's folder.</summary>
    public string OutputDir => temp.File("reference");

    public RecipeRunResult Result { get; }

    public StringWriter Console { get; }

    /// <summary>Overrides that point the recipe at this fixture's data (or <paramref name="train"/>) and at <paramref name="outputDir"/>.</summary>
    public string[] Overrides(string outputDir, string? train = null) =>
    [
        $"output_dir={outputDir}",
        $"data.train.path={train ?? Path.Combine(DataFolder, trainFile)}",
        $"data.eval.path={Path.Combine(DataFolder, evalFile)}",
    ];

    public Recipe Recipe(string outputDir, string? train = null) => RecipeLoader.Load(recipeFile, Overrides(outputDir, train));

    public void Dispose()
    {
        temp.Dispose();
        GC.SuppressFinalize(this);
    }
}
