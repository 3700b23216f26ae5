namespace MMAdapt.Encoders.Images;

/// <summary>
/// An RGB image (HWC, 3 bytes a pixel) held in the first <c>Width * Height * 3</c> bytes of a buffer that may
/// be longer: how images move between the decoding and resizing steps without copies.
/// </summary>
internal readonly record struct RgbView(byte[] Buffer, int Width, int Height)
{
    /// <summary>Bytes in one row.</summary>
    public int Stride => Width * 3;

    /// <summary>The image's bytes.</summary>
    public ReadOnlySpan<byte> Pixels => Buffer.AsSpan(0, Width * Height * 3);

    /// <summary>A view of a whole <see cref="RgbImage"/>.</summary>
    public static RgbView Of(RgbImage image) => new(image.Array, image.Width, image.Height);

    /// <summary>Copies the view into a new <see cref="RgbImage"/> named <paramref name="source"/>.</summary>
    public RgbImage ToImage(string source) => new(Width, Height, Pixels.ToArray(), source);
}
