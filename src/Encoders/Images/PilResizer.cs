namespace MMAdapt.Encoders.Images;

/// <summary>
/// Resizes 8-bit RGB images exactly as PIL's <c>Image.resize</c> does for RGB images (which is what Hugging
/// Face image processors call): bilinear and bicubic are separable two-pass convolutions, horizontal pass
/// first, with PIL's antialiasing (the filter widened by the shrink factor), its fixed-point weights (22
/// fractional bits, see <see cref="ResampleCoefficients"/>) and its rounding and clipping to 0..255 after
/// each pass; a pass whose size does not change is skipped. Nearest follows PIL's affine scale.
/// </summary>
/// <remarks>
/// Output matches PIL (the non-SIMD build) bit for bit; allocation-free per image when a worker's scratch
/// buffers are reused; thread-safe (no shared state).
/// </remarks>
public static class PilResizer
{
    /// <summary>Resizes <paramref name="image"/> to <paramref name="width"/> x <paramref name="height"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1 or an unknown filter.</exception>
    public static RgbImage Resize(RgbImage image, int width, int height, PilResample filter)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Resize(RgbView.Of(image), width, height, filter, new ImageScratch()).ToImage(image.Source);
    }

    /// <summary>Resizes into <see cref="ImageScratch.Resized"/> (the source must not live there).</summary>
    internal static RgbView Resize(RgbView source, int width, int height, PilResample filter, ImageScratch scratch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (!Enum.IsDefined(filter))
            throw new ArgumentOutOfRangeException(nameof(filter), filter, "supported: Nearest (0), Bilinear (2), Bicubic (3)");
        var output = ImageScratch.Ensure(ref scratch.Resized, (long)width * height * 3);
        var result = new RgbView(output, width, height);
        if (width == source.Width && height == source.Height)
            source.Pixels.CopyTo(output);
        else if (filter == PilResample.Nearest)
            Nearest(source, result);
        else
            Convolve(source, result, filter, scratch);
        return result;
    }

    private static void Convolve(RgbView source, RgbView result, PilResample filter, ImageScratch scratch)
    {
        bool horizontal = result.Width != source.Width;
        bool vertical = result.Height != source.Height;
        var rows = ResampleCoefficients.Get(ref scratch.VerticalCoefficients, source.Height, result.Height, filter);

        if (!horizontal)
        {
            Vertical(source.Buffer, 0, source.Stride, rows, result.Buffer);
            return;
        }
        var columns = ResampleCoefficients.Get(ref scratch.HorizontalCoefficients, source.Width, result.Width, filter);
        if (!vertical)
        {
            Horizontal(source.Buffer, source.Stride, 0, source.Height, columns, result.Buffer);
            return;
        }
        // Only the source rows the vertical pass reads are resampled horizontally (as PIL does).
        int firstRow = rows.First[0];
        int lastRow = rows.First[^1] + rows.Count[^1];
        var temp = ImageScratch.Ensure(ref scratch.Horizontal, (long)(lastRow - firstRow) * result.Stride);
        Horizontal(source.Buffer, source.Stride, firstRow, lastRow - firstRow, columns, temp);
        Vertical(temp, firstRow, result.Stride, rows, result.Buffer);
    }

    /// <summary>Resamples rows <paramref name="firstRow"/>.. of <paramref name="input"/> along x into consecutive rows of <paramref name="output"/>.</summary>
    private static unsafe void Horizontal(byte[] input, int inStride, int firstRow, int rowCount, ResampleCoefficients c, byte[] output)
    {
        const int half = 1 << (ResampleCoefficients.PrecisionBits - 1);
        int outWidth = c.OutSize;
        fixed (byte* inBase = input, outBase = output)
        fixed (int* weightBase = c.Weights, firstBase = c.First, countBase = c.Count)
        {
            for (int y = 0; y < rowCount; y++)
            {
                byte* inRow = inBase + (long)(firstRow + y) * inStride;
                byte* outPixel = outBase + (long)y * outWidth * 3;
                for (int x = 0; x < outWidth; x++, outPixel += 3)
                {
                    int* k = weightBase + x * c.Taps;
                    int n = countBase[x];
                    byte* p = inRow + firstBase[x] * 3;
                    int r = half, g = half, b = half;
                    for (int i = 0; i < n; i++, p += 3)
                    {
                        int w = k[i];
                        r += p[0] * w;
                        g += p[1] * w;
                        b += p[2] * w;
                    }
                    outPixel[0] = Clip(r);
                    outPixel[1] = Clip(g);
                    outPixel[2] = Clip(b);
                }
            }
        }
    }

    /// <summary>Resamples along y; <paramref name="rowOffset"/> is the source row that row 0 of <paramref name="input"/> holds.</summary>
    private static unsafe void Vertical(byte[] input, int rowOffset, int stride, ResampleCoefficients c, byte[] output)
    {
        const int half = 1 << (ResampleCoefficients.PrecisionBits - 1);
        fixed (byte* inBase = input, outBase = output)
        fixed (int* weightBase = c.Weights)
        {
            for (int y = 0; y < c.OutSize; y++)
            {
                int* k = weightBase + y * c.Taps;
                int n = c.Count[y];
                byte* inTop = inBase + (long)(c.First[y] - rowOffset) * stride;
                byte* outRow = outBase + (long)y * stride;
                for (int x = 0; x < stride; x++)
                {
                    int s = half;
                    byte* p = inTop + x;
                    for (int i = 0; i < n; i++, p += stride)
                        s += *p * k[i];
                    outRow[x] = Clip(s);
                }
            }
        }
    }

    private static byte Clip(int value)
    {
        int v = value >> ResampleCoefficients.PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    /// <summary>PIL's nearest resize (an affine scale): source column <c>(int)x0</c> with <c>x0 = scale / 2</c>
    /// advanced by <c>scale = in / out</c> each step (accumulated in double, as PIL does).</summary>
    private static void Nearest(RgbView source, RgbView result)
    {
        Span<int> columns = result.Width <= 4096 ? stackalloc int[result.Width] : new int[result.Width];
        double xScale = (double)source.Width / result.Width, yScale = (double)source.Height / result.Height;
        double xo = xScale * 0.5;
        for (int x = 0; x < result.Width; x++, xo += xScale)
            columns[x] = Math.Min((int)xo, source.Width - 1);
        double yo = yScale * 0.5;
        var input = source.Pixels;
        var output = result.Buffer.AsSpan();
        for (int y = 0; y < result.Height; y++, yo += yScale)
        {
            var inRow = input.Slice(Math.Min((int)yo, source.Height - 1) * source.Stride, source.Stride);
            var outRow = output.Slice(y * result.Stride, result.Stride);
            for (int x = 0; x < result.Width; x++)
                inRow.Slice(columns[x] * 3, 3).CopyTo(outRow.Slice(x * 3, 3));
        }
    }
}
