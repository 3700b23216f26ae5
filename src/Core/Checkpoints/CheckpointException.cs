namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// A checkpoint that cannot be read or loaded: a malformed safetensors file or index, a missing shard,
/// a shape mismatch, missing or unexpected keys. The message always names the file and, where one is
/// at fault, the tensor: <c>"NAME: detail (file PATH)"</c>.
/// </summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception; the message is composed from the three parts.</summary>
    /// <param name="filePath">The file at fault (a safetensors file, an index, or a folder).</param>
    /// <param name="tensorName">The tensor at fault, or null when the problem is not about one tensor.</param>
    /// <param name="detail">What is wrong, without the file and tensor names.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public CheckpointException(string filePath, string? tensorName, string detail, Exception? inner = null)
        : base(Compose(filePath, tensorName, detail), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file the problem was found in.</summary>
    public string FilePath { get; }

    /// <summary>The tensor the problem is about, or null.</summary>
    public string? TensorName { get; }

    private static string Compose(string filePath, string? tensorName, string detail) =>
        tensorName is null ? $"{detail} (file {filePath})" : $"{tensorName}: {detail} (file {filePath})";
}
