using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Running;

/// <summary>
/// The shipped <c>recipes/smoke.yaml</c>, run once to the end in process: its synthetic data (the recipe's synth
/// settings) in a temporary folder, and the uninterrupted run that other tests compare against.
/// </summary>
public sealed class SmokeRun : IDisposable
{
    private readonly TempFolder temp = new();

    public SmokeRun()
    {
        var declared = RecipeLoader.Load(RecipePath).Data.Synth!;
        SyntheticDataset.Generate(DataFolder, new SyntheticDatasetOptions { Seed = declared.Seed, Count = declared.Count, TestCount = declared.TestCount });
        Console = new StringWriter();
        Result = RecipeTrainer.Train(Recipe(OutputDir), console: Console);
    }

    /// <summary>The recipe as shipped (copied next to the tests with the checkpoints it names).</summary>
    public static string RecipePath => FixturePaths.Of("recipes", "smoke.yaml");

    public string DataFolder => temp.File("data");

    /// <summary>The uninterrupted run's folder.</summary>
    public string OutputDir => temp.File("reference");

    public RecipeRunResult Result { get; }

    public StringWriter Console { get; }

    /// <summary>Overrides that point the recipe at this fixture's data and at <paramref name="outputDir"/>.</summary>
    public string[] Overrides(string outputDir) =>
    [
        $"output_dir={outputDir}",
        $"data.train.path={Path.Combine(DataFolder, "train.jsonl")}",
        $"data.eval.path={Path.Combine(DataFolder, "test.jsonl")}",
    ];

    public Recipe Recipe(string outputDir) => RecipeLoader.Load(RecipePath, Overrides(outputDir));

    public void Dispose() => temp.Dispose();
}

/// <summary>Tests that train, alone: bit-for-bit comparisons need the same torch thread count throughout, which
/// tests that pin it to one thread elsewhere could change under them.</summary>
[CollectionDefinition(nameof(SmokeRunCollection), DisableParallelization = true)]
public sealed class SmokeRunCollection : ICollectionFixture<SmokeRun>
{
}
