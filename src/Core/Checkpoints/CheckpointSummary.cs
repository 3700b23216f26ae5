using System.Text.Json;
using MMAdapt.Core.Configuration;
using MMAdapt.Core.Display;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// What a Hugging Face checkpoint folder holds, read from <c>config.json</c> and the safetensors headers
/// only (no tensor data is loaded, so inspecting a 70B folder is instant).
/// </summary>
/// <param name="Folder">The folder's full path.</param>
/// <param name="Architecture">The first entry of <c>architectures</c>, if any.</param>
/// <param name="ModelType">The <c>model_type</c>, if any.</param>
/// <param name="Files">The safetensors files (one, or the shards).</param>
/// <param name="Tensors">Every tensor, sorted by name.</param>
/// <param name="Dtypes">Tensor count per dtype.</param>
/// <param name="ParameterCount">Total elements over all tensors.</param>
/// <param name="Highlights">Key sizes from config.json (hidden_size, layers, heads, vocab, ...), in a fixed order.</param>
[TypeFormatterSource(typeof(RichDisplayFormatters))]
public sealed record CheckpointSummary(
    string Folder,
    string? Architecture,
    string? ModelType,
    IReadOnlyList<string> Files,
    IReadOnlyList<TensorInfo> Tensors,
    IReadOnlyDictionary<string, int> Dtypes,
    long ParameterCount,
    IReadOnlyList<KeyValuePair<string, string>> Highlights) : IRichDisplay
{
    private static readonly string[] HighlightKeys =
    [
        "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "head_dim", "vocab_size", "max_position_embeddings", "rope_theta", "tie_word_embeddings", "torch_dtype",
    ];

    /// <summary>Summarises a checkpoint folder.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="CheckpointException">No safetensors file, or a malformed one (named).</exception>
    public static CheckpointSummary Read(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: folder not found.");
        var full = Path.GetFullPath(folder);
        string? architecture = null, modelType = null;
        var highlights = new List<KeyValuePair<string, string>>();
        var configPath = Path.Combine(full, "config.json");
        if (File.Exists(configPath))
        {
            using var config = HfConfigReader.ReadDocument(configPath);
            var root = config.RootElement;
            if (root.TryGetProperty("architectures", out var arch) && arch.ValueKind == JsonValueKind.Array && arch.GetArrayLength() > 0)
                architecture = arch[0].GetString();
            if (root.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String)
                modelType = type.GetString();
            foreach (var key in HighlightKeys)
                if (root.TryGetProperty(key, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Object or JsonValueKind.Array))
                    highlights.Add(new(key, value.ToString()));
        }
        using var checkpoint = CheckpointReader.Open(full);
        var tensors = checkpoint.Names.Select(checkpoint.Info).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var files = checkpoint.Names.Select(checkpoint.FileOf).Distinct().Order(StringComparer.Ordinal).ToList();
        var dtypes = tensors.GroupBy(t => t.Dtype.ToString()).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count());
        long parameters = tensors.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
        return new CheckpointSummary(full, architecture, modelType, files, tensors, dtypes, parameters, highlights);
    }

    /// <summary>What <c>mmadapt inspect</c> prints, as a table of fields and values.</summary>
    public DisplayTable ToTable()
    {
        var table = new DisplayTable("field", "value") { Title = $"Checkpoint {Folder}" };
        table.Add("architecture", Architecture ?? "(none in config.json)")
             .Add("model_type", ModelType ?? "(none in config.json)")
             .Add("dtype", string.Join(", ", Dtypes.Select(d => $"{d.Key} ({d.Value} tensors)")))
             .Add("files", string.Join(", ", Files.Select(Path.GetFileName)))
             .Add("tensors", DisplayTable.Count(Tensors.Count))
             .Add("parameters", DisplayTable.Count(ParameterCount));
        foreach (var (key, value) in Highlights)
            table.Add(key, value);
        return table;
    }

    /// <summary>Every tensor with its shape and dtype (<c>mmadapt inspect --tensors</c>); <paramref name="nameContains"/>
    /// keeps only the matching names.</summary>
    public DisplayTable TensorTable(string? nameContains = null)
    {
        var table = new DisplayTable("tensor", "shape", "dtype");
        foreach (var t in Tensors.Where(t => nameContains is null || t.Name.Contains(nameContains, StringComparison.Ordinal)))
            table.Add(t.Name, $"[{string.Join(", ", t.Shape)}]", t.Dtype.ToString());
        return table;
    }

    /// <inheritdoc/>
    public string ToText() => ToTable().ToText();

    /// <inheritdoc/>
    public string ToHtml() => ToTable().ToHtml();

    /// <inheritdoc/>
    public override string ToString() => ToText();
}
