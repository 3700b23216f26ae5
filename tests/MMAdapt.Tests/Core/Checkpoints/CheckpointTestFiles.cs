using System.Buffers.Binary;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Core.Checkpoints;

/// <summary>A temporary folder deleted with the test, plus builders for hand-crafted safetensors files.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "mmadapt-tests", Guid.NewGuid().ToString("N"));

    public string File(string name) => Path.Combine(Root, name);

    /// <summary>Writes a raw safetensors file: length prefix (the header's, unless overridden), header text, data.</summary>
    public string Raw(string name, string header, byte[]? data = null, ulong? headerLength = null)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + headerBytes.Length + (data?.Length ?? 0)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)headerBytes.Length);
        headerBytes.CopyTo(bytes, 8);
        data?.CopyTo(bytes, 8 + headerBytes.Length);
        var path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

internal static class TensorBytes
{
    /// <summary>The raw bytes of a tensor (moved to a contiguous CPU copy first).</summary>
    public static byte[] Of(Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        return c.numel() == 0 ? [] : c.bytes.ToArray();
    }

    /// <summary>A tensor of the given type and shape filled with seeded random bytes (0/1 for bool).</summary>
    public static Tensor Random(ScalarType type, long[] shape, int seed)
    {
        var t = torch.empty(shape, dtype: type);
        if (t.numel() == 0)
            return t;
        var bytes = new byte[t.numel() * t.element_size()];
        new Random(seed).NextBytes(bytes);
        if (type == ScalarType.Bool)
            for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        t.bytes = bytes;
        return t;
    }

    public static string FixturePath(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);
}

/// <summary>Named tensors a test created and must dispose.</summary>
internal sealed class OwnedTensors(List<KeyValuePair<string, Tensor>> items) : IDisposable
{
    public List<KeyValuePair<string, Tensor>> Items { get; } = items;

    public void Dispose()
    {
        foreach (var (_, t) in Items) t.Dispose();
    }
}
