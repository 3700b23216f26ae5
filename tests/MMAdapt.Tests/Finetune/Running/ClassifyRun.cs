using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Running;

/// <summary>
/// The shipped <c>recipes/smoke-classify.yaml</c> (Soft-MoA in the tiny Whisper tower plus a head over its pooled
/// features, three pitch classes of the synthetic sounds), run once.
/// </summary>
public sealed class ClassifyRun() : RecipeRun(RecipePath, "sounds_train.jsonl", "sounds_test.jsonl")
{
    /// <summary>The recipe as shipped (copied next to the tests with the checkpoints it names).</summary>
    public static string RecipePath => FixturePaths.Of("recipes", "smoke-classify.yaml");
}

/// <summary>Classify runs, alone (bit-for-bit comparisons need the same torch thread count throughout).</summary>
[CollectionDefinition(nameof(ClassifyRunCollection), DisableParallelization = true)]
public sealed class ClassifyRunCollection : ICollectionFixture<ClassifyRun>
{
}
