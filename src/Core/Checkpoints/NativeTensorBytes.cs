using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// Moves tensor bytes between a file and a tensor's native memory in fixed-size chunks, so that
/// reading or writing a tensor of any size costs no managed memory beyond a few small objects.
/// </summary>
/// <remarks>
/// Safetensors data is little-endian and so is every machine TorchSharp ships native code for
/// (x64, arm64); bytes are copied as they are. Big-endian machines are out of scope.
/// </remarks>
internal static class NativeTensorBytes
{
    /// <summary>Bytes per read or write call: large enough for full disk throughput, small enough to bound each call.</summary>
    internal const int ChunkBytes = 8 << 20;

    /// <summary>
    /// The address of element 0 of a CPU, contiguous tensor with at least one element. TorchSharp
    /// exposes the data only as a span limited to 2 GiB, so the span of a one-element view gives the
    /// base address and the caller walks the rest (contiguous, so it is one block).
    /// </summary>
    internal static unsafe byte* DataPointer(Tensor tensor)
    {
        using var flat = tensor.view(-1);
        using var first = flat.narrow(0, 0, 1);
        return (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }

    /// <summary>True when the tensor's memory can be read or written in place: CPU and contiguous.</summary>
    internal static bool IsDirectlyAddressable(Tensor tensor) =>
        tensor.device_type == TorchSharp.DeviceType.CPU && tensor.is_contiguous();

    /// <summary>
    /// Fills <paramref name="destination"/> (CPU, contiguous, <paramref name="byteCount"/> bytes) from
    /// <paramref name="file"/> starting at <paramref name="fileOffset"/>.
    /// </summary>
    /// <exception cref="CheckpointException">The file ends early (it shrank after it was opened).</exception>
    internal static unsafe void ReadFromFile(SafeFileHandle file, long fileOffset, Tensor destination, long byteCount, string path, string name)
    {
        if (byteCount == 0)
            return;
        byte* basePointer = DataPointer(destination);
        for (long done = 0; done < byteCount;)
        {
            int want = (int)Math.Min(ChunkBytes, byteCount - done);
            int got = RandomAccess.Read(file, new Span<byte>(basePointer + done, want), fileOffset + done);
            if (got == 0)
                throw new CheckpointException(path, name, $"file ended after {fileOffset + done} bytes while reading the tensor's data ({byteCount} bytes at {fileOffset})");
            done += got;
        }
    }

    /// <summary>Writes the <paramref name="byteCount"/> bytes of a CPU, contiguous tensor to <paramref name="stream"/>.</summary>
    internal static unsafe void WriteToStream(Stream stream, Tensor source, long byteCount)
    {
        if (byteCount == 0)
            return;
        byte* basePointer = DataPointer(source);
        for (long done = 0; done < byteCount;)
        {
            int count = (int)Math.Min(ChunkBytes, byteCount - done);
            stream.Write(new ReadOnlySpan<byte>(basePointer + done, count));
            done += count;
        }
    }
}
