using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// An open safetensors file: the validated header, and a handle to read tensors from on demand.
/// </summary>
/// <remarks>
/// <para>Layout (huggingface/safetensors): an 8-byte little-endian header length <c>N</c>, <c>N</c>
/// bytes of UTF-8 JSON, then the data buffer, which the header's <c>data_offsets</c> index.
/// <see cref="Open"/> reads and validates only the header; each <see cref="Read"/> allocates the
/// tensor and reads its bytes straight into native memory in chunks (<see cref="NativeTensorBytes"/>),
/// so loading a file of any size needs no more managed memory than its header.</para>
/// <para>Reads are positional, so several threads may read different tensors of one open file.
/// Data is taken as little-endian; big-endian machines are out of scope.</para>
/// </remarks>
public sealed class SafetensorsFile : IDisposable
{
    private readonly SafeFileHandle handle;
    private readonly long dataStart;
    private readonly Dictionary<string, TensorInfo> byName;

    private SafetensorsFile(string path, SafeFileHandle handle, long dataStart, SafetensorsHeader.Parsed header)
    {
        Path = path;
        this.handle = handle;
        this.dataStart = dataStart;
        Metadata = header.Metadata;
        Tensors = header.Tensors;
        byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Opens <paramref name="path"/>, reads and validates its header; no tensor data is read.</summary>
    /// <exception cref="CheckpointException">The file is missing, truncated, or its header is invalid; the message names the file and, where one is at fault, the tensor.</exception>
    public static SafetensorsFile Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new CheckpointException(full, null, $"cannot open safetensors file: {e.Message}", e);
        }
        try
        {
            var (dataStart, header) = ReadHeader(handle, full);
            return new SafetensorsFile(full, handle, dataStart, header);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static (long DataStart, SafetensorsHeader.Parsed Header) ReadHeader(SafeFileHandle handle, string path)
    {
        long fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8)
            throw new CheckpointException(path, null, $"file is {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(handle, lengthBytes, 0, path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > SafetensorsHeader.MaxHeaderBytes)
            throw new CheckpointException(path, null, $"header length {headerLength} exceeds the limit of {SafetensorsHeader.MaxHeaderBytes} bytes");
        if (8 + (long)headerLength > fileLength)
            throw new CheckpointException(path, null, $"header length {headerLength} reaches past the end of the {fileLength}-byte file (truncated?)");
        var header = new byte[headerLength];
        ReadExactly(handle, header, 8, path);
        long dataStart = 8 + (long)headerLength;
        return (dataStart, SafetensorsHeader.Parse(header, fileLength - dataStart, path));
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        for (int done = 0; done < buffer.Length;)
        {
            int got = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (got == 0)
                throw new CheckpointException(path, null, $"file ended after {offset + done} bytes while reading the header");
            done += got;
        }
    }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    /// <summary>The header's <c>__metadata__</c> map (empty if absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor, in data-offset order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>True when the file holds a tensor of that name.</summary>
    public bool Contains(string name) => byName.ContainsKey(name);

    /// <summary>The header entry of one tensor.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names it and the file.</exception>
    public TensorInfo Info(string name) =>
        byName.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"{name}: no such tensor in {Path} ({byName.Count} tensors)");

    /// <summary>Reads one tensor into a new tensor, which the caller owns and disposes.</summary>
    /// <param name="name">The tensor's key.</param>
    /// <param name="dtype">Element type of the result; the stored type when null (cast after reading).</param>
    /// <param name="device">Device of the result; CPU when null (moved after reading).</param>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="CheckpointException">The file shrank since it was opened.</exception>
    public Tensor Read(string name, ScalarType? dtype = null, Device? device = null)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        var info = Info(name);
        var result = torch.empty(info.Shape, dtype: info.Dtype.ToScalarType(), device: torch.CPU);
        try
        {
            NativeTensorBytes.ReadFromFile(handle, dataStart + info.Begin, result, info.ByteLength, Path, name);
            if (dtype is { } type && type != result.dtype)
                Replace(ref result, result.to_type(type));
            if (device is not null && device.type != DeviceType.CPU)
                Replace(ref result, result.to(device));
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static void Replace(ref Tensor current, Tensor next)
    {
        current.Dispose();
        current = next;
    }

    /// <summary>
    /// Copies one tensor into <paramref name="destination"/> (a parameter or buffer, say), converting
    /// between floating-point types and between integer types; without autograd tracking. A CPU,
    /// contiguous destination of the stored type is filled straight from the file.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="CheckpointException">The shapes differ (<c>"NAME: checkpoint [a,b], model expects [c,d]"</c>), or the types cannot convert.</exception>
    public void ReadInto(string name, Tensor destination)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        var info = Info(name);
        CheckTarget(info, destination, Path);
        using var noGrad = torch.no_grad();
        if (NativeTensorBytes.IsDirectlyAddressable(destination) && destination.dtype == info.Dtype.ToScalarType())
        {
            NativeTensorBytes.ReadFromFile(handle, dataStart + info.Begin, destination, info.ByteLength, Path, name);
            return;
        }
        using var staged = Read(name);
        destination.copy_(staged); // returns destination itself (in place): nothing to dispose
    }

    /// <summary>
    /// Checks that a checkpoint tensor fits a destination: same shape, and a dtype that converts
    /// without changing kind (floating point to floating point, integer to integer, bool to bool).
    /// </summary>
    /// <exception cref="CheckpointException">Not compatible; names the tensor and <paramref name="path"/>.</exception>
    internal static void CheckTarget(TensorInfo info, Tensor destination, string path, string? targetName = null)
    {
        if (Misfit(info, destination, targetName) is { } detail)
            throw new CheckpointException(path, targetName ?? info.Name, detail);
    }

    /// <summary>
    /// Why a checkpoint tensor does not fit a destination, or null when it does. A shape mismatch reads
    /// <c>"checkpoint [a,b], model expects [c,d]"</c>, plus the checkpoint name when the destination's differs.
    /// </summary>
    internal static string? Misfit(TensorInfo info, Tensor destination, string? targetName)
    {
        var expected = destination.shape;
        if (!info.Shape.AsSpan().SequenceEqual(expected))
            return $"checkpoint {info.ShapeString}, model expects {ShapeText.Format(expected)}"
                + (targetName is not null && targetName != info.Name ? $" (checkpoint tensor '{info.Name}')" : "");
        if (!Converts(info.Dtype, destination.dtype))
            return $"checkpoint dtype {info.Dtype.ToHeaderString()} cannot be loaded into a {destination.dtype} tensor (only float-to-float and int-to-int conversions are allowed)";
        return null;
    }

    private static bool Converts(SafetensorsDtype stored, ScalarType target)
    {
        if (stored.ToScalarType() == target)
            return true;
        if (!SafetensorsDtypeExtensions.TryFromScalarType(target, out var targetDtype))
            return false;
        if (stored.IsFloatingPoint() || targetDtype.IsFloatingPoint())
            return stored.IsFloatingPoint() && targetDtype.IsFloatingPoint();
        return stored != SafetensorsDtype.BOOL && targetDtype != SafetensorsDtype.BOOL;
    }

    /// <summary>Closes the file handle.</summary>
    public void Dispose() => handle.Dispose();
}
