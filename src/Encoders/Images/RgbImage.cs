using static TorchSharp.torch;

namespace MMAdapt.Encoders.Images;

/// <summary>
/// A decoded image: upright (EXIF orientation applied), 8-bit RGB, row-major HWC
/// (<c>Pixels[(y * Width + x) * 3 + c]</c>, c = 0 red, 1 green, 2 blue).
/// </summary>
public sealed class RgbImage
{
    private readonly byte[] pixels;

    /// <summary>Wraps <paramref name="pixels"/> (not copied: the image takes the array over).</summary>
    /// <param name="width">Columns, at least 1.</param>
    /// <param name="height">Rows, at least 1.</param>
    /// <param name="pixels">Exactly <c>width * height * 3</c> bytes, HWC RGB.</param>
    /// <param name="source">Where the image came from (a path or a name); error messages use it.</param>
    /// <exception cref="ArgumentException">A size below 1 or a pixel array of the wrong length.</exception>
    public RgbImage(int width, int height, byte[] pixels, string source)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(source);
        if (width < 1 || height < 1)
            throw new ArgumentException($"{source}: image size must be at least 1x1, got {width}x{height}.", nameof(width));
        if (pixels.LongLength != (long)width * height * 3)
            throw new ArgumentException(
                $"{source}: a {width}x{height} RGB image needs {(long)width * height * 3} bytes, got {pixels.LongLength}.", nameof(pixels));
        Width = width;
        Height = height;
        this.pixels = pixels;
        Source = source;
    }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>The pixels, HWC RGB, <c>Width * Height * 3</c> bytes.</summary>
    public ReadOnlyMemory<byte> Pixels => pixels;

    /// <summary>Where the image came from (a path or a name).</summary>
    public string Source { get; }

    /// <summary>The pixels as a float32 tensor <c>[3, Height, Width]</c> with values 0..255 (CHW, as
    /// <c>pixel_values</c> are laid out).</summary>
    public Tensor ToTensor()
    {
        var plane = Width * Height;
        var chw = new float[3 * plane];
        for (int i = 0, p = 0; i < plane; i++, p += 3)
        {
            chw[i] = pixels[p];
            chw[plane + i] = pixels[p + 1];
            chw[2 * plane + i] = pixels[p + 2];
        }
        return tensor(chw, [3, Height, Width]);
    }

    /// <summary>The pixel array itself, for the resamplers (read only by convention).</summary>
    internal byte[] Array => pixels;
}
