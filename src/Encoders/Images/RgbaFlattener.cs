using System.Runtime.Intrinsics;

namespace MMAdapt.Encoders.Images;

/// <summary>
/// Turns a decoder's unpremultiplied RGBA buffer, as stored in the file, into upright RGB in one pass:
/// alpha is composited over white and the EXIF orientation is applied.
/// </summary>
/// <remarks>
/// Compositing follows Hugging Face's <c>convert_to_rgb</c>: RGBA over an opaque white canvas with PIL's
/// <c>Image.alpha_composite</c>. For alpha a and channel c PIL computes, with 7 fractional bits,
/// <c>t = 128 (c a + 255 (255 - a)) + 128·128</c> and <c>((t + (t &gt;&gt; 8)) &gt;&gt; 8) &gt;&gt; 7</c>, which equals
/// <c>(c a + 255 (255 - a)) / 255</c> rounded to nearest for every c and a (checked exhaustively in the tests);
/// fully transparent pixels are white, opaque ones unchanged.
/// </remarks>
internal static class RgbaFlattener
{
    /// <summary>The upright size of a <paramref name="width"/> x <paramref name="height"/> stored image:
    /// orientations 5 to 8 swap the sides.</summary>
    public static (int Width, int Height) UprightSize(int width, int height, int orientation) =>
        orientation is >= 5 and <= 8 ? (height, width) : (width, height);

    /// <summary>
    /// Writes the upright RGB image of <paramref name="rgba"/> (stored <paramref name="width"/> x
    /// <paramref name="height"/>, EXIF <paramref name="orientation"/> 1..8; other values count as 1) into
    /// <paramref name="rgb"/>. <paramref name="opaque"/> says every alpha is 255 (a JPEG, an RGB PNG), which
    /// allows a straight copy of the colour bytes when the orientation is 1.
    /// </summary>
    public static void Flatten(ReadOnlySpan<byte> rgba, int width, int height, int orientation, Span<byte> rgb, bool opaque = false)
    {
        if (opaque && orientation is < 2 or > 8)
        {
            DropAlpha(rgba[..(width * height * 4)], rgb[..(width * height * 3)]);
            return;
        }
        var (outWidth, outHeight) = UprightSize(width, height, orientation);
        for (int y = 0; y < outHeight; y++)
        {
            // Stored pixel index of upright (0, y) and the step per upright column (EXIF 0th row/column rules).
            var (start, step) = orientation switch
            {
                2 => ((long)y * width + width - 1, -1L),                   // mirrored left-right
                3 => ((long)(height - 1 - y) * width + width - 1, -1L),    // rotated 180
                4 => ((long)(height - 1 - y) * width, 1L),                 // mirrored top-bottom
                5 => (y, (long)width),                                     // transposed
                6 => ((long)(height - 1) * width + y, -(long)width),       // stored rotated 90 anticlockwise
                7 => ((long)(height - 1) * width + width - 1 - y, -(long)width), // transversed
                8 => (width - 1 - y, (long)width),                         // stored rotated 90 clockwise
                _ => ((long)y * width, 1L),
            };
            var row = rgb.Slice(y * outWidth * 3, outWidth * 3);
            long source = start;
            for (int x = 0, o = 0; x < outWidth; x++, o += 3, source += step)
            {
                int p = (int)(source * 4);
                int a = rgba[p + 3];
                if (a == 255)
                {
                    row[o] = rgba[p];
                    row[o + 1] = rgba[p + 1];
                    row[o + 2] = rgba[p + 2];
                }
                else
                {
                    row[o] = OverWhite(rgba[p], a);
                    row[o + 1] = OverWhite(rgba[p + 1], a);
                    row[o + 2] = OverWhite(rgba[p + 2], a);
                }
            }
        }
    }

    /// <summary>RGBA to RGB, 4 pixels per 16-byte shuffle (each store's last 4 bytes are overwritten by the next).</summary>
    private static void DropAlpha(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        int i = 0, o = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var indices = Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0x80, 0x80, 0x80, 0x80);
            for (; i + 16 <= rgba.Length && o + 16 <= rgb.Length; i += 16, o += 12)
                Vector128.Shuffle(Vector128.Create(rgba.Slice(i, 16)), indices).CopyTo(rgb.Slice(o, 16));
        }
        for (; i < rgba.Length; i += 4, o += 3)
        {
            rgb[o] = rgba[i];
            rgb[o + 1] = rgba[i + 1];
            rgb[o + 2] = rgba[i + 2];
        }
    }

    /// <summary>One channel value <paramref name="c"/> with alpha <paramref name="a"/> composited over white:
    /// <c>(c a + 255 (255 - a)) / 255</c> rounded (no ties occur), PIL's result.</summary>
    public static byte OverWhite(int c, int a) => (byte)((c * a + 255 * (255 - a) + 127) / 255);
}
