namespace MMAdapt.Encoders.Images;

/// <summary>
/// An image that cannot be decoded or preprocessed: a missing, empty, truncated, corrupt, mislabelled or
/// unsupported file, or one larger than <see cref="ImageDecoder.MaxPixels"/>. Every image error of this
/// namespace is this type. The message names the file (and its position in a batch, when there is one)
/// and says what was expected: <c>"PATH: detail"</c> or <c>"PATH (image 3 of 64): detail"</c>.
/// An <see cref="IOException"/> (as PIL's <c>UnidentifiedImageError</c> is an <c>OSError</c>), since
/// <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class ImageDecodeException : IOException
{
    /// <summary>Creates the exception; the message is composed from the parts.</summary>
    /// <param name="filePath">The file (or the source name given for in-memory bytes).</param>
    /// <param name="detail">What is wrong and what was expected, without the file name.</param>
    /// <param name="index">The image's position in a batch or dataset, or null.</param>
    /// <param name="count">The batch size, or null.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public ImageDecodeException(string filePath, string detail, int? index = null, int? count = null, Exception? inner = null)
        : base(Compose(filePath, detail, index, count), inner)
    {
        FilePath = filePath;
        Detail = detail;
        Index = index;
    }

    /// <summary>The file at fault (or the source name of in-memory bytes).</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Detail { get; }

    /// <summary>The image's position in the batch or dataset, or null when it was decoded on its own.</summary>
    public int? Index { get; }

    /// <summary>The same error, placed at <paramref name="index"/> of a batch of <paramref name="count"/> images.</summary>
    public ImageDecodeException AtIndex(int index, int count) =>
        new(FilePath, Detail, index, count, this);

    private static string Compose(string filePath, string detail, int? index, int? count)
    {
        var where = index is int i ? count is int n ? $" (image {i} of {n})" : $" (image {i})" : "";
        return $"{filePath}{where}: {detail}";
    }
}
