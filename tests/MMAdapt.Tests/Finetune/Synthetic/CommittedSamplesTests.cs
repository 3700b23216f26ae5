using MMAdapt.Finetune.Synthetic;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Synthetic;

/// <summary><c>samples/</c> holds a few synthetic rows for the docs; they are what the documented command writes, byte for
/// byte (so the generator gives the same pictures and sounds on every machine), and the quickstart's data starts with
/// the same rows.</summary>
public class CommittedSamplesTests
{
    [Fact]
    public void The_committed_samples_are_what_data_synth_writes_for_their_options()
    {
        using var temp = new TempFolder();
        SyntheticDataset.Generate(temp.Path, new SyntheticDatasetOptions { Seed = 0, Count = 8, TestCount = 4 });
        var committed = FixturePaths.Of("samples");
        var expected = Directory.GetFiles(committed, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(committed, f)).Order(StringComparer.Ordinal).ToList();
        var actual = Directory.GetFiles(temp.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(temp.Path, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
        foreach (var file in expected)
            Assert.True(File.ReadAllBytes(Path.Combine(committed, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.Path, file))), $"{file} differs");
    }

    [Fact]
    public void A_larger_dataset_with_the_same_seed_begins_with_the_samples()
    {
        using var temp = new TempFolder();
        SyntheticDataset.Generate(temp.Path, new SyntheticDatasetOptions { Seed = 0, Count = 20, TestCount = 10 });
        foreach (var file in Directory.GetFiles(FixturePaths.Of("samples", "images")).Concat(Directory.GetFiles(FixturePaths.Of("samples", "audio"))))
        {
            var relative = Path.GetRelativePath(FixturePaths.Of("samples"), file);
            Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.Path, relative))), $"{relative} differs");
        }
        var sampleRows = File.ReadAllLines(FixturePaths.Of("samples", "test.jsonl"));
        Assert.Equal(sampleRows, File.ReadAllLines(Path.Combine(temp.Path, "test.jsonl")).Take(sampleRows.Length));
    }
}
