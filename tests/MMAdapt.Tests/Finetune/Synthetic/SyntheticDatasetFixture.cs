using System.Text.Json;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Synthetic;

/// <summary>One small synthetic dataset, generated once for the test classes of its collection.</summary>
public sealed class SyntheticDatasetFixture : IDisposable
{
    private readonly TempFolder temp = new();

    public SyntheticDatasetFixture()
    {
        Folder = temp.File("synthetic");
        Report = SyntheticDataset.Generate(Folder, Options);
    }

    public static SyntheticDatasetOptions Options { get; } = new() { Seed = 7, Count = 40, TestCount = 10 };

    public string Folder { get; }

    public SyntheticDatasetReport Report { get; }

    public string File(string relative) => Path.Combine(Folder, relative);

    /// <summary>The rows of train.jsonl and test.jsonl as JSON, in file order.</summary>
    public IReadOnlyList<JsonElement> Rows(string split = "both") =>
        (split == "both" ? ["train", "test"] : new[] { split })
        .SelectMany(s => System.IO.File.ReadLines(File($"{s}.jsonl")))
        .Select(line => JsonDocument.Parse(line).RootElement.Clone())
        .ToList();

    public JsonElement Meta() => JsonDocument.Parse(System.IO.File.ReadAllText(File("meta.json"))).RootElement.Clone();

    public void Dispose() => temp.Dispose();
}

[CollectionDefinition(nameof(SyntheticDatasetCollection))]
public sealed class SyntheticDatasetCollection : ICollectionFixture<SyntheticDatasetFixture>
{
}
