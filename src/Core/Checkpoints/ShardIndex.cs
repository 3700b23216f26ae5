using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using MMAdapt.Core.IO;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// Hugging Face's sharded-checkpoint layout: file names (<c>model.safetensors</c>,
/// <c>model-00001-of-00003.safetensors</c>, <c>model.safetensors.index.json</c>) and the index,
/// <c>{"metadata": {"total_size": N}, "weight_map": {"tensor": "shard file"}}</c>.
/// </summary>
internal static class ShardIndex
{
    /// <summary>The unsharded file: <c>{baseName}.safetensors</c>.</summary>
    internal static string SingleFileName(string baseName) => $"{baseName}.safetensors";

    /// <summary>The index: <c>{baseName}.safetensors.index.json</c>.</summary>
    internal static string IndexFileName(string baseName) => $"{baseName}.safetensors.index.json";

    /// <summary>Shard <paramref name="number"/> (1-based) of <paramref name="count"/>: <c>model-00001-of-00003.safetensors</c>.</summary>
    internal static string ShardFileName(string baseName, int number, int count) => $"{baseName}-{number:D5}-of-{count:D5}.safetensors";

    /// <summary>True for any shard file name of <paramref name="baseName"/>.</summary>
    internal static bool IsShardFileName(string fileName, string baseName) =>
        Regex.IsMatch(fileName, $"^{Regex.Escape(baseName)}-[0-9]{{5}}-of-[0-9]{{5}}\\.safetensors$");

    /// <summary>Reads an index: the tensor → shard-file pairs, in the order the file lists them.</summary>
    /// <exception cref="CheckpointException">Not JSON, no <c>weight_map</c> object, a non-string or
    /// path-like file name, or a tensor listed twice; the message names the index.</exception>
    internal static List<(string Tensor, string File)> Read(string indexPath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (JsonException e)
        {
            throw new CheckpointException(indexPath, null, $"index is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(indexPath, null, "index must be a JSON object with a \"weight_map\" object");
            var entries = new List<(string, string)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            // JsonDocument keeps duplicate keys, so a tensor listed twice is caught here.
            foreach (var entry in map.EnumerateObject())
            {
                if (!seen.Add(entry.Name))
                    throw new CheckpointException(indexPath, entry.Name, "listed twice in weight_map");
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new CheckpointException(indexPath, entry.Name, $"weight_map value must be a shard file name, found {entry.Value.ValueKind}");
                var file = entry.Value.GetString()!;
                if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
                    throw new CheckpointException(indexPath, entry.Name, $"weight_map names '{file}', which is not a file name in the index's folder");
                entries.Add((entry.Name, file));
            }
            return entries;
        }
    }

    /// <summary>Writes an index as <c>transformers</c> does: two-space indent, sorted keys, final newline.</summary>
    internal static void Write(string indexPath, long totalSize, IEnumerable<(string Tensor, string File)> weightMap)
    {
        var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
#if NET9_0_OR_GREATER
        options.NewLine = "\n"; // net8.0 (notebooks) has no NewLine option and writes Environment.NewLine: "\n" off Windows
#endif
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalSize);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (tensor, file) in weightMap.OrderBy(e => e.Tensor, StringComparer.Ordinal))
                json.WriteString(tensor, file);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        AtomicFile.WriteAllBytes(indexPath, buffer.ToArray());
    }
}
