using SkiaSharp;

namespace MMAdapt.Encoders.Images;

/// <summary>
/// Decodes image files into upright 8-bit RGB with SkiaSharp: PNG, JPEG, BMP, GIF (the first frame) and WebP.
/// Grey, grey+alpha and palette images come out as RGB; alpha is composited over white (as Hugging Face's
/// <c>convert_to_rgb</c> does); a JPEG's (or PNG's) EXIF orientation is applied. No colour management: ICC
/// profiles are ignored, as PIL ignores them.
/// </summary>
/// <remarks>
/// Every failure is an <see cref="ImageDecodeException"/> naming the file and what was expected: a missing or
/// empty file, a truncated or corrupt one, a file of another kind (a TIFF, a text file named <c>.png</c>),
/// or an image with more than <see cref="MaxPixels"/> pixels — refused from the header, before any pixel
/// memory is allocated (so a PNG header claiming 20000x20000 fails at once with the default limit).
/// A 1x1 image is valid. Decoding is thread-safe.
/// </remarks>
public static class ImageDecoder
{
    /// <summary>The default of <see cref="MaxPixels"/>: 100 megapixels (a 10000x10000 image).</summary>
    public const int DefaultMaxPixels = 100_000_000;

    private static int maxPixels = DefaultMaxPixels;

    /// <summary>The formats <see cref="Decode(string)"/> accepts.</summary>
    public static IReadOnlyList<string> SupportedFormats { get; } = ["PNG", "JPEG", "BMP", "GIF", "WebP"];

    /// <summary>
    /// The largest image, in pixels (width x height), that is decoded; larger ones are refused with an
    /// <see cref="ImageDecodeException"/> naming the file, its size and this limit. Default
    /// <see cref="DefaultMaxPixels"/> (100 megapixels); shared by all threads.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value below 1.</exception>
    public static int MaxPixels
    {
        get => Volatile.Read(ref maxPixels);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref maxPixels, value);
        }
    }

    /// <summary>Decodes the image file at <paramref name="path"/>.</summary>
    /// <exception cref="ImageDecodeException">The file is missing, unreadable, empty, truncated, corrupt,
    /// not a supported format, or larger than <see cref="MaxPixels"/>.</exception>
    public static RgbImage Decode(string path) => ImageScratch.With(scratch =>
    {
        var length = ReadFile(path, scratch);
        return DecodeInto(scratch.Encoded.AsSpan(0, length), path, scratch).ToImage(path);
    });

    /// <summary>Decodes an encoded image held in memory; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="ImageDecodeException">The bytes are empty, truncated, corrupt, not a supported
    /// format, or the image is larger than <see cref="MaxPixels"/>.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        var scratch = ImageScratch.Rent();
        try
        {
            return DecodeInto(bytes, sourceName, scratch).ToImage(sourceName);
        }
        finally
        {
            ImageScratch.Return(scratch);
        }
    }

    /// <summary>Reads <paramref name="path"/> into <see cref="ImageScratch.Encoded"/>; returns its length.</summary>
    internal static int ReadFile(string path, ImageScratch scratch)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            long length = RandomAccess.GetLength(handle);
            if (length > Array.MaxLength)
                throw new ImageDecodeException(path, $"the file is {length} bytes, too large for an image file.");
            var buffer = ImageScratch.Ensure(ref scratch.Encoded, length);
            int done = 0;
            while (done < length)
            {
                int got = RandomAccess.Read(handle, buffer.AsSpan(done, (int)length - done), done);
                if (got == 0)
                    break;
                done += got;
            }
            return done;
        }
        catch (FileNotFoundException e)
        {
            throw new ImageDecodeException(path, $"file not found; expected an image file ({Expected}).", inner: e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ImageDecodeException(path, $"file not found (no such folder); expected an image file ({Expected}).", inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, $"cannot read the file: {e.Message}", inner: e);
        }
    }

    /// <summary>Decodes into <paramref name="scratch"/>'s buffers; the returned view lives in <see cref="ImageScratch.Rgb"/>.</summary>
    internal static unsafe RgbView DecodeInto(ReadOnlySpan<byte> bytes, string source, ImageScratch scratch)
    {
        if (bytes.IsEmpty)
            throw new ImageDecodeException(source, $"the file is empty; expected an image ({Expected}).");

        using var data = SKData.CreateCopy(bytes);
        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var created);
        if (codec is null)
            throw Unrecognised(bytes, source, created);

        var format = FormatName(codec.EncodedFormat);
        if (format is null)
            throw new ImageDecodeException(source, $"{codec.EncodedFormat} images are not supported; expected {Expected}.");

        var info = codec.Info;
        int width = info.Width, height = info.Height;
        long pixels = (long)width * height;
        if (width < 1 || height < 1)
            throw new ImageDecodeException(source, $"the {format} header gives an empty size {width}x{height}; expected at least 1x1.");
        if (pixels > MaxPixels)
            throw new ImageDecodeException(source,
                $"the {format} image is {width}x{height} = {pixels:N0} pixels, more than ImageDecoder.MaxPixels = {MaxPixels:N0}; " +
                "expected a smaller image (raise ImageDecoder.MaxPixels to accept it).");
        if (pixels * 4 > Array.MaxLength)
            throw new ImageDecodeException(source, $"the {format} image is {width}x{height}; images above {Array.MaxLength / 4:N0} pixels cannot be decoded into one buffer.");

        var rgba = ImageScratch.Ensure(ref scratch.Rgba, pixels * 4);
        var target = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        SKCodecResult decoded;
        fixed (byte* pointer = rgba)
            decoded = codec.GetPixels(target, (IntPtr)pointer, width * 4, new SKCodecOptions(0));
        if (decoded != SKCodecResult.Success)
            throw new ImageDecodeException(source, decoded switch
            {
                SKCodecResult.IncompleteInput => $"the {format} data is truncated (the file ends before the last row); expected a complete {format} file.",
                SKCodecResult.ErrorInInput => $"the {format} data is corrupt; expected a valid {format} file.",
                _ => $"the {format} image could not be decoded ({decoded}); expected a valid {format} file.",
            });

        int orientation = (int)codec.EncodedOrigin;
        var (uprightWidth, uprightHeight) = RgbaFlattener.UprightSize(width, height, orientation);
        var rgb = ImageScratch.Ensure(ref scratch.Rgb, pixels * 3);
        RgbaFlattener.Flatten(rgba.AsSpan(0, (int)(pixels * 4)), width, height, orientation, rgb, info.AlphaType == SKAlphaType.Opaque);
        return new RgbView(rgb, uprightWidth, uprightHeight);
    }

    private static string Expected => "PNG, JPEG, BMP, GIF or WebP";

    private static string? FormatName(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Png => "PNG",
        SKEncodedImageFormat.Jpeg => "JPEG",
        SKEncodedImageFormat.Bmp => "BMP",
        SKEncodedImageFormat.Gif => "GIF",
        SKEncodedImageFormat.Webp => "WebP",
        _ => null,
    };

    private static ImageDecodeException Unrecognised(ReadOnlySpan<byte> bytes, string source, SKCodecResult result)
    {
        var looksLike = ImageSignature.Describe(bytes);
        string detail = looksLike switch
        {
            "PNG" or "JPEG" or "GIF" or "BMP" or "WebP" when result == SKCodecResult.IncompleteInput =>
                $"the {looksLike} file is truncated (it ends inside the header, after {bytes.Length} bytes); expected a complete {looksLike} file.",
            "PNG" or "JPEG" or "GIF" or "BMP" or "WebP" =>
                $"the {looksLike} header is corrupt; expected a valid {looksLike} file.",
            "text" => $"the file holds text, not an image; expected {Expected}.",
            null => $"not a recognised image (it starts with bytes {ImageSignature.Hex(bytes)}); expected {Expected}.",
            _ => $"{looksLike} files are not supported; expected {Expected}.",
        };
        return new ImageDecodeException(source, detail);
    }
}
