using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Running;

/// <summary>The shipped <c>recipes/smoke.yaml</c> (two stages on image and audio conversations), run once.</summary>
public sealed class SmokeRun() : RecipeRun(RecipePath, "train.jsonl", "test.jsonl")
{
    /// <summary>The recipe as shipped (copied next to the tests with the checkpoints it names).</summary>
    public static string RecipePath => FixturePaths.Of("recipes", "smoke.yaml");
}

/// <summary>Tests that train, alone: bit-for-bit comparisons need the same torch thread count throughout, which
/// tests that pin it to one thread elsewhere could change under them.</summary>
[CollectionDefinition(nameof(SmokeRunCollection), DisableParallelization = true)]
public sealed class SmokeRunCollection : ICollectionFixture<SmokeRun>
{
}
