using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Running;

/// <summary>
/// The shipped <c>recipes/smoke-classify.yaml</c> (Soft-MoA in the tiny Whisper tower plus a head over its pooled
/// features, three pitch classes of the synthetic sounds), run once to the end in process on its declared synthetic
/// data in a temporary folder: the uninterrupted run other tests compare against.
/// </summary>
public sealed class ClassifyRun : IDisposable
{
    private readonly TempFolder temp = new();

    public ClassifyRun()
    {
        var declared = RecipeLoader.Load(RecipePath).Data.Synth!;
        SyntheticDataset.Generate(DataFolder, new SyntheticDatasetOptions { Seed = declared.Seed, Count = declared.Count, TestCount = declared.TestCount });
        Console = new StringWriter();
        Result = RecipeTrainer.Train(Recipe(OutputDir), console: Console);
    }

    /// <summary>The recipe as shipped (copied next to the tests with the checkpoints it names).</summary>
    public static string RecipePath => FixturePaths.Of("recipes", "smoke-classify.yaml");

    public string DataFolder => temp.File("data");

    /// <summary>The uninterrupted run's folder.</summary>
    public string OutputDir => temp.File("reference");

    public RecipeRunResult Result { get; }

    public StringWriter Console { get; }

    /// <summary>Overrides that point the recipe at this fixture's data (or <paramref name="train"/>) and at <paramref name="outputDir"/>.</summary>
    public string[] Overrides(string outputDir, string? train = null) =>
    [
        $"output_dir={outputDir}",
        $"data.train.path={train ?? Path.Combine(DataFolder, "sounds_train.jsonl")}",
        $"data.eval.path={Path.Combine(DataFolder, "sounds_test.jsonl")}",
    ];

    public Recipe Recipe(string outputDir, string? train = null) => RecipeLoader.Load(RecipePath, Overrides(outputDir, train));

    public void Dispose() => temp.Dispose();
}

/// <summary>Classify runs, alone (bit-for-bit comparisons need the same torch thread count throughout).</summary>
[CollectionDefinition(nameof(ClassifyRunCollection), DisableParallelization = true)]
public sealed class ClassifyRunCollection : ICollectionFixture<ClassifyRun>
{
}
