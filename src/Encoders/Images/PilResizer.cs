namespace MMAdapt.Encoders.Images;

/// <summary>
/// Resizes 8-bit RGB images exactly as PIL's <c>Image.resize</c> does for RGB images (which is what Hugging
/// Face image processors call): bilinear and bicubic are separable two-pass convolutions, horizontal pass
/// first, with PIL's antialiasing (the filter widened by the shrink factor), its fixed-point weights (22
/// fractional bits, see <see cref="ResampleCoefficients"/>) and its rounding and clipping to 0..255 after
/// each pass; a pass whose size does not change is skipped. Nearest follows PIL's affine scale.
/// </summary>
/// <remarks>
/// Bicubic output equals PIL's bit for bit on the reference fixtures (CLIP and SigLIP pixel values); bilinear
/// and nearest follow the same PIL code (<c>Resample.c</c>, <c>Geometry.c</c>) and are checked by properties
/// and hand-computed cases. Allocation-free per image once a worker's scratch buffers have grown; thread-safe.
/// </remarks>
public static class PilResizer
{
    /// <summary>Resizes <paramref name="image"/> to <paramref name="width"/> x <paramref name="height"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1 or an unknown filter.</exception>
    public static RgbImage Resize(RgbImage image, int width, int height, PilResample filter)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ImageScratch.With(scratch => Resize(RgbView.Of(image), width, height, filter, scratch).ToImage(image.Source));
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
            ResamplePasses.Vertical(source.Buffer, 0, source.Stride, rows, result.Buffer, Sums(scratch, result.Stride));
            return;
        }
        var columns = ResampleCoefficients.Get(ref scratch.HorizontalCoefficients, source.Width, result.Width, filter);
        if (!vertical)
        {
            ResamplePasses.Horizontal(source.Buffer, source.Stride, 0, source.Height, columns, result.Buffer);
            return;
        }
        // Only the source rows the vertical pass reads are resampled horizontally (as PIL does).
        int firstRow = rows.First[0];
        int lastRow = rows.First[^1] + rows.Count[^1];
        var temp = ImageScratch.Ensure(ref scratch.Horizontal, (long)(lastRow - firstRow) * result.Stride);
        ResamplePasses.Horizontal(source.Buffer, source.Stride, firstRow, lastRow - firstRow, columns, temp);
        ResamplePasses.Vertical(temp, firstRow, result.Stride, rows, result.Buffer, Sums(scratch, result.Stride));
    }

    private static int[] Sums(ImageScratch scratch, int length) => ImageScratch.Ensure(ref scratch.Sums, length);

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
