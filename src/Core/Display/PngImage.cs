namespace MMAdapt.Core.Display;

/// <summary>
/// A PNG picture in memory (a plot): a notebook shows it inline, a console shows its size and where it was saved.
/// </summary>
/// <param name="Bytes">The PNG file's bytes.</param>
/// <param name="SavedTo">The file it was also written to, or null.</param>
[TypeFormatterSource(typeof(RichDisplayFormatters))]
public sealed record PngImage(byte[] Bytes, string? SavedTo = null) : IRichDisplay
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Reads a PNG file.</summary>
    /// <exception cref="InvalidDataException">The file is not a PNG (names the file).</exception>
    public static PngImage Load(string file)
    {
        var bytes = File.ReadAllBytes(file);
        if (!bytes.AsSpan().StartsWith(Signature) || bytes.Length < 24)
            throw new InvalidDataException($"{file}: not a PNG file (no PNG signature).");
        return new PngImage(bytes, Path.GetFullPath(file));
    }

    /// <summary>Width in pixels (from the IHDR chunk).</summary>
    public int Width => ReadBigEndian(16);

    /// <summary>Height in pixels (from the IHDR chunk).</summary>
    public int Height => ReadBigEndian(20);

    /// <summary>Writes the bytes to <paramref name="file"/> and returns the image with <see cref="SavedTo"/> set.</summary>
    public PngImage Save(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        File.WriteAllBytes(file, Bytes);
        return this with { SavedTo = Path.GetFullPath(file) };
    }

    /// <inheritdoc/>
    public string ToText() => $"PNG {Width}x{Height}, {Bytes.Length / 1024.0:F0} KiB" + (SavedTo is null ? "" : $": {SavedTo}");

    /// <inheritdoc/>
    public string ToHtml() => $"<img src=\"data:image/png;base64,{Convert.ToBase64String(Bytes)}\" width=\"{Width}\" height=\"{Height}\"/>";

    /// <inheritdoc/>
    public override string ToString() => ToText();

    private int ReadBigEndian(int offset) =>
        Bytes.Length < offset + 4 ? 0 : System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(Bytes.AsSpan(offset, 4));
}
