using System.Text.Json;
using System.Text.Unicode;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// Parses and validates the JSON header of a safetensors file with the reference implementation's
/// rules (huggingface/safetensors, <c>safetensors/src/tensor.rs</c>): a JSON object of
/// <c>name → {dtype, shape, data_offsets}</c> plus an optional <c>__metadata__</c> string map; the
/// offsets, sorted by begin, tile the data buffer from 0 to its end with no gap or overlap; each
/// tensor's byte count is <c>numel × dtype size</c>.
/// </summary>
/// <remarks>
/// A hand-written <see cref="Utf8JsonReader"/> walk rather than a deserializer: System.Text.Json
/// keeps the last of duplicate keys silently, and a duplicated tensor name must be an error.
/// Unknown fields inside a tensor entry are skipped, as serde does in the reference.
/// </remarks>
internal static class SafetensorsHeader
{
    /// <summary>The reference's limit on the header length, in bytes.</summary>
    internal const long MaxHeaderBytes = 100_000_000;

    /// <summary>Metadata key of the optional string map.</summary>
    internal const string MetadataKey = "__metadata__";

    /// <summary>A parsed header: the metadata map and the tensors sorted by offset.</summary>
    internal sealed record Parsed(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<TensorInfo> Tensors);

    /// <summary>Parses <paramref name="header"/> and checks it against a data buffer of <paramref name="bufferLength"/> bytes.</summary>
    /// <exception cref="CheckpointException">Anything the reference would reject, naming <paramref name="path"/>.</exception>
    internal static Parsed Parse(ReadOnlySpan<byte> header, long bufferLength, string path)
    {
        if (!Utf8.IsValid(header))
            throw new CheckpointException(path, null, "safetensors header is not valid UTF-8");
        Dictionary<string, string> metadata;
        List<TensorInfo> tensors;
        try
        {
            (metadata, tensors) = ReadObject(header, path);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, null, $"safetensors header is not valid JSON: {e.Message}", e);
        }
        Validate(tensors, bufferLength, path);
        return new Parsed(metadata, tensors);
    }

    private static (Dictionary<string, string>, List<TensorInfo>) ReadObject(ReadOnlySpan<byte> header, string path)
    {
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read())
            throw new CheckpointException(path, null, "safetensors header is empty");
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new CheckpointException(path, null, $"safetensors header must be a JSON object, found {reader.TokenType}");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new List<TensorInfo>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            if (name == MetadataKey)
            {
                if (sawMetadata)
                    throw new CheckpointException(path, null, $"duplicate {MetadataKey} entry in header");
                sawMetadata = true;
                ReadMetadata(ref reader, metadata, path);
                continue;
            }
            if (!seen.Add(name))
                throw new CheckpointException(path, name, "tensor name appears twice in the header");
            tensors.Add(ReadTensor(ref reader, name, path));
        }
        // The loop leaves the reader on the closing brace; anything after it but whitespace is an error.
        if (reader.Read())
            throw new CheckpointException(path, null, "safetensors header has content after its JSON object");
        return (metadata, tensors);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string path)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
            return;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new CheckpointException(path, null, $"{MetadataKey} must be an object of strings, found {reader.TokenType}");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw new CheckpointException(path, null, $"{MetadataKey}[\"{key}\"] must be a string, found {reader.TokenType}");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw new CheckpointException(path, null, $"{MetadataKey} has the key \"{key}\" twice");
        }
    }

    private static TensorInfo ReadTensor(ref Utf8JsonReader reader, string name, string path)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new CheckpointException(path, name, $"header entry must be an object with dtype, shape and data_offsets, found {reader.TokenType}");
        string? dtypeText = null;
        long[]? shape = null, offsets = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            reader.Read();
            switch (field)
            {
                case "dtype":
                    if (dtypeText is not null)
                        throw new CheckpointException(path, name, "header entry has dtype twice");
                    if (reader.TokenType != JsonTokenType.String)
                        throw new CheckpointException(path, name, $"dtype must be a string, found {reader.TokenType}");
                    dtypeText = reader.GetString()!;
                    break;
                case "shape":
                    if (shape is not null)
                        throw new CheckpointException(path, name, "header entry has shape twice");
                    shape = ReadNaturals(ref reader, name, field, path);
                    break;
                case "data_offsets":
                    if (offsets is not null)
                        throw new CheckpointException(path, name, "header entry has data_offsets twice");
                    offsets = ReadNaturals(ref reader, name, field, path);
                    if (offsets.Length != 2)
                        throw new CheckpointException(path, name, $"data_offsets must hold two numbers [begin,end], found {offsets.Length}");
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (dtypeText is null || shape is null || offsets is null)
        {
            var absent = new[] { ("dtype", dtypeText is null), ("shape", shape is null), ("data_offsets", offsets is null) };
            throw new CheckpointException(path, name, $"header entry lacks {string.Join(", ", absent.Where(a => a.Item2).Select(a => a.Item1))}");
        }
        if (!SafetensorsDtypeExtensions.TryParseHeaderString(dtypeText, out var dtype))
            throw new CheckpointException(path, name, $"unknown or unsupported dtype \"{dtypeText}\" (supported: {SafetensorsDtypeExtensions.SupportedList})");
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    /// <summary>Reads an array of non-negative integers (the reference types them as usize).</summary>
    private static long[] ReadNaturals(ref Utf8JsonReader reader, string name, string field, string path)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new CheckpointException(path, name, $"{field} must be an array of non-negative integers, found {reader.TokenType}");
        var values = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value) || value < 0)
                throw new CheckpointException(path, name, $"{field} must be an array of non-negative integers");
            values.Add(value);
        }
        return [.. values];
    }

    private static void Validate(List<TensorInfo> tensors, long bufferLength, string path)
    {
        // The reference sorts by (begin, end) before checking, so the header may list tensors in any order.
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expectedBegin = 0;
        TensorInfo? previous = null;
        foreach (var t in tensors)
        {
            var offsets = $"data_offsets [{t.Begin},{t.End}]";
            if (t.End < t.Begin)
                throw new CheckpointException(path, t.Name, $"{offsets} end before they begin");
            if (t.Begin > expectedBegin)
                throw new CheckpointException(path, t.Name, $"{offsets} leave a gap: data bytes [{expectedBegin},{t.Begin}) belong to no tensor");
            if (t.Begin < expectedBegin)
                throw new CheckpointException(path, t.Name, $"{offsets} overlap tensor '{previous!.Name}' (data_offsets [{previous.Begin},{previous.End}])");
            if (t.End > bufferLength)
                throw new CheckpointException(path, t.Name, $"{offsets} reach past the end of the data buffer ({bufferLength} bytes after the header): the file is truncated or the offsets are wrong");
            long needed;
            try
            {
                needed = checked(t.ElementCount * t.Dtype.ByteSize());
            }
            catch (OverflowException)
            {
                throw new CheckpointException(path, t.Name, $"shape {t.ShapeString} x {t.Dtype.ToHeaderString()} overflows 64 bits");
            }
            if (t.ByteLength != needed)
                throw new CheckpointException(path, t.Name, $"{offsets} hold {t.ByteLength} bytes but shape {t.ShapeString} x {t.Dtype.ToHeaderString()} needs {needed}");
            expectedBegin = t.End;
            previous = t;
        }
        if (expectedBegin != bufferLength)
            throw new CheckpointException(path, null, $"the tensors cover {expectedBegin} data bytes but the file holds {bufferLength} after the header (trailing bytes)");
    }
}
