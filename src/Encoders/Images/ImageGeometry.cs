namespace MMAdapt.Encoders.Images;

/// <summary>
/// The size arithmetic and pixel moves of the preprocessing pipeline, as Hugging Face and LLaVA define them:
/// the shortest-edge output size, the centre crop (zero-padded when the crop is larger than the image) and
/// LLaVA's <c>expand2square</c>.
/// </summary>
public static class ImageGeometry
{
    /// <summary>
    /// Hugging Face's <c>get_resize_output_image_size(default_to_square=False)</c>: the short side becomes
    /// <paramref name="shortestEdge"/>, the long side <c>int(shortestEdge * long / short)</c> (truncated; or
    /// rounded, with <see cref="ShortestEdgeRounding.Round"/>). An image whose short side already has that
    /// length keeps its size.
    /// </summary>
    /// <returns>The output (height, width).</returns>
    public static (int Height, int Width) ShortestEdgeSize(int width, int height, int shortestEdge,
        ShortestEdgeRounding rounding = ShortestEdgeRounding.Truncate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shortestEdge, 1);
        bool portrait = width <= height;
        int shortSide = portrait ? width : height, longSide = portrait ? height : width;
        if (shortSide == shortestEdge)
            return (height, width);
        double exact = (double)((long)shortestEdge * longSide) / shortSide;
        int newLong = rounding == ShortestEdgeRounding.Round ? (int)Math.Round(exact, MidpointRounding.ToEven) : (int)exact;
        return portrait ? (newLong, shortestEdge) : (shortestEdge, newLong);
    }

    /// <summary>
    /// The source row and column of the crop's top-left pixel, as Hugging Face's <c>center_crop</c> places it:
    /// <c>top = (height - cropHeight) // 2</c> (floor division, so negative when the crop is larger, and the
    /// image then sits <c>ceil((cropHeight - height) / 2)</c> rows below the crop's top edge, on zeros).
    /// </summary>
    public static (int Top, int Left) CenterCropOrigin(int width, int height, int cropHeight, int cropWidth) =>
        (FloorHalf(height - cropHeight), FloorHalf(width - cropWidth));

    /// <summary>Hugging Face's <c>center_crop</c>: a <paramref name="cropHeight"/> x <paramref name="cropWidth"/>
    /// window at <see cref="CenterCropOrigin"/>, with 0 where it reaches outside the image.</summary>
    public static RgbImage CenterCrop(RgbImage image, int cropHeight, int cropWidth)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(cropHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cropWidth, 1);
        var (top, left) = CenterCropOrigin(image.Width, image.Height, cropHeight, cropWidth);
        var output = new byte[cropHeight * cropWidth * 3];
        var input = image.Pixels.Span;
        for (int y = 0; y < cropHeight; y++)
        {
            int sourceY = top + y;
            if (sourceY < 0 || sourceY >= image.Height)
                continue;
            int x0 = Math.Max(0, -left), x1 = Math.Min(cropWidth, image.Width - left);
            if (x1 > x0)
                input.Slice((sourceY * image.Width + left + x0) * 3, (x1 - x0) * 3).CopyTo(output.AsSpan((y * cropWidth + x0) * 3));
        }
        return new RgbImage(cropWidth, cropHeight, output, image.Source);
    }

    /// <summary>
    /// LLaVA's <c>expand2square</c>: the image pasted on a square canvas of side max(width, height) filled with
    /// <paramref name="fill"/>, at column <c>(side - width) // 2</c> and row <c>(side - height) // 2</c>.
    /// A square image is returned as it is.
    /// </summary>
    public static RgbImage ExpandToSquare(RgbImage image, (byte Red, byte Green, byte Blue) fill)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width == image.Height)
            return image;
        return ImageScratch.With(scratch => ExpandToSquare(RgbView.Of(image), fill, scratch).ToImage(image.Source));
    }

    /// <summary>LLaVA's background colour for a processor: <c>tuple(int(x * 255) for x in image_mean)</c> (truncated).</summary>
    public static (byte Red, byte Green, byte Blue) MeanColour(IReadOnlyList<double> imageMean)
    {
        ArgumentNullException.ThrowIfNull(imageMean);
        if (imageMean.Count != 3)
            throw new ArgumentException($"image_mean must have 3 values, got {imageMean.Count}.", nameof(imageMean));
        return (ToByte(imageMean[0]), ToByte(imageMean[1]), ToByte(imageMean[2]));

        static byte ToByte(double x) => (byte)Math.Clamp((int)(x * 255), 0, 255);
    }

    /// <summary>Pastes <paramref name="source"/> on a square canvas in <see cref="ImageScratch.Square"/>.</summary>
    internal static RgbView ExpandToSquare(RgbView source, (byte Red, byte Green, byte Blue) fill, ImageScratch scratch)
    {
        int side = Math.Max(source.Width, source.Height);
        var canvas = ImageScratch.Ensure(ref scratch.Square, (long)side * side * 3);
        var pixels = canvas.AsSpan(0, side * side * 3);
        for (int i = 0; i < pixels.Length; i += 3)
        {
            pixels[i] = fill.Red;
            pixels[i + 1] = fill.Green;
            pixels[i + 2] = fill.Blue;
        }
        int left = (side - source.Width) / 2, top = (side - source.Height) / 2;
        for (int y = 0; y < source.Height; y++)
            source.Pixels.Slice(y * source.Stride, source.Stride).CopyTo(pixels.Slice(((top + y) * side + left) * 3));
        return new RgbView(canvas, side, side);
    }

    private static int FloorHalf(int value) => (int)Math.Floor(value / 2.0);
}
