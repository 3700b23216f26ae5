using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using MMAdapt.Core.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// Writes safetensors files that the reference implementation (huggingface/safetensors) reads, laid
/// out as its writer lays them out.
/// </summary>
/// <remarks>
/// <para>Order: tensors are sorted by dtype alignment descending (I64, F64, F32, I32, BF16, F16, I16,
/// I8, U8, BOOL: the reference's dtype-enum order, reversed), then by name (ordinal), and the header
/// lists <c>__metadata__</c> first (keys sorted ordinally), then the tensors in data order. The header
/// JSON is compact, escapes only what JSON requires (as serde_json does), and is padded with spaces to
/// a multiple of 8 bytes so every tensor starts 8-aligned. The same tensors and metadata therefore
/// always give byte-identical files.</para>
/// <para>Memory: each tensor's bytes are streamed from native memory in chunks; a tensor that is not
/// on the CPU or not contiguous is first copied to a contiguous CPU tensor, one at a time. Tensors
/// sharing memory (tied weights) are written once per name. Bytes are written as they lie in memory,
/// little-endian on every supported machine; big-endian machines are out of scope.</para>
/// <para>The file is written through <see cref="AtomicFile"/>: readers see the old file or the new one.</para>
/// </remarks>
public static class SafetensorsWriter
{
    /// <summary>The metadata entry every file carries, as PyTorch's writer adds it.</summary>
    public static readonly KeyValuePair<string, string> FormatEntry = new("format", "pt");

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file to write; its folder is created if missing.</param>
    /// <param name="tensors">Names and tensors; names must be unique. The tensors are not disposed.</param>
    /// <param name="metadata">Extra <c>__metadata__</c> entries; <c>"format": "pt"</c> is always added.</param>
    /// <exception cref="ArgumentException">A duplicate or reserved name, a dtype the format cannot hold,
    /// or a metadata <c>format</c> other than <c>pt</c>; the message names the tensor and the file.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var full = Path.GetFullPath(path);
        var layout = Layout(tensors, full);
        var header = HeaderBytes(layout, MergeMetadata(metadata, full));
        AtomicFile.Write(full, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (info, tensor) in layout)
                WriteData(stream, tensor, info.ByteLength);
        });
    }

    /// <summary>The data bytes a tensor takes in a file: numel × element size.</summary>
    /// <exception cref="ArgumentException">The dtype has no safetensors equivalent.</exception>
    public static long ByteLength(Tensor tensor) => tensor.numel() * FromTensor(tensor, "tensor", null).ByteSize();

    private static SortedDictionary<string, string> MergeMetadata(IReadOnlyDictionary<string, string>? metadata, string path)
    {
        var merged = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            merged[key] = value;
        if (merged.TryGetValue(FormatEntry.Key, out var format) && format != FormatEntry.Value)
            throw new ArgumentException($"metadata \"format\" must be \"pt\" (found \"{format}\") for {path}", nameof(metadata));
        merged[FormatEntry.Key] = FormatEntry.Value;
        return merged;
    }

    /// <summary>Sorts the tensors as the reference does and assigns their data offsets.</summary>
    private static List<(TensorInfo Info, Tensor Tensor)> Layout(IEnumerable<KeyValuePair<string, Tensor>> tensors, string path)
    {
        var entries = new List<(string Name, SafetensorsDtype Dtype, Tensor Tensor)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (name == SafetensorsHeader.MetadataKey)
                throw new ArgumentException($"{name}: reserved for the metadata map, cannot name a tensor in {path}", nameof(tensors));
            if (!names.Add(name))
                throw new ArgumentException($"{name}: given twice for {path}", nameof(tensors));
            entries.Add((name, FromTensor(tensor, name, path), tensor));
        }
        entries.Sort((a, b) =>
        {
            int byAlignment = b.Dtype.ReferenceRank().CompareTo(a.Dtype.ReferenceRank());
            return byAlignment != 0 ? byAlignment : string.CompareOrdinal(a.Name, b.Name);
        });
        var layout = new List<(TensorInfo, Tensor)>(entries.Count);
        long offset = 0;
        foreach (var (name, dtype, tensor) in entries)
        {
            long bytes = tensor.numel() * dtype.ByteSize();
            layout.Add((new TensorInfo(name, dtype, tensor.shape, offset, offset + bytes), tensor));
            offset += bytes;
        }
        return layout;
    }

    private static SafetensorsDtype FromTensor(Tensor tensor, string name, string? path) =>
        SafetensorsDtypeExtensions.TryFromScalarType(tensor.dtype, out var dtype)
            ? dtype
            : throw new ArgumentException(
                $"{name}: dtype {tensor.dtype} cannot be stored in safetensors (supported: {SafetensorsDtypeExtensions.SupportedList})"
                + (path is null ? "" : $" (file {path})"), nameof(tensor));

    /// <summary>The header JSON, UTF-8, space-padded to a multiple of 8 bytes.</summary>
    internal static byte[] HeaderBytes(IEnumerable<(TensorInfo Info, Tensor Tensor)> layout, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var json = new StringBuilder("{");
        bool first = true;
        void Key(string key)
        {
            if (!first)
                json.Append(',');
            first = false;
            AppendJsonString(json, key);
            json.Append(':');
        }
        var metadataList = metadata.ToList();
        if (metadataList.Count > 0)
        {
            Key(SafetensorsHeader.MetadataKey);
            json.Append('{');
            for (int i = 0; i < metadataList.Count; i++)
            {
                if (i > 0)
                    json.Append(',');
                AppendJsonString(json, metadataList[i].Key);
                json.Append(':');
                AppendJsonString(json, metadataList[i].Value);
            }
            json.Append('}');
        }
        foreach (var (info, _) in layout)
        {
            Key(info.Name);
            json.Append("{\"dtype\":\"").Append(info.Dtype.ToHeaderString()).Append("\",\"shape\":")
                .Append(info.ShapeString).Append(",\"data_offsets\":[")
                .Append(info.Begin.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(info.End.ToString(CultureInfo.InvariantCulture)).Append("]}");
        }
        json.Append('}');
        int length = Encoding.UTF8.GetByteCount(json.ToString());
        json.Append(' ', (8 - length % 8) % 8);
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    /// <summary>Appends a JSON string literal, escaping as serde_json does: quote, backslash, control characters.</summary>
    internal static void AppendJsonString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ': json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }
        json.Append('"');
    }

    private static void WriteData(Stream stream, Tensor tensor, long byteCount)
    {
        if (byteCount == 0)
            return;
        if (NativeTensorBytes.IsDirectlyAddressable(tensor))
        {
            NativeTensorBytes.WriteToStream(stream, tensor, byteCount);
            return;
        }
        // One tensor at a time: a GPU or strided tensor becomes a contiguous CPU copy, written, then freed.
        using var scope = torch.NewDisposeScope();
        var staged = tensor.detach().to(torch.CPU).contiguous();
        NativeTensorBytes.WriteToStream(stream, staged, byteCount);
    }
}
