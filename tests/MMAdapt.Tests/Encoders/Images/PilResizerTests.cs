using MMAdapt.Encoders.Images;
using Xunit;

namespace MMAdapt.Tests.Encoders.Images;

public sealed class PilResizerTests
{
    public static TheoryData<PilResample, int, int, int, int> Sizes()
    {
        var data = new TheoryData<PilResample, int, int, int, int>();
        foreach (var filter in Enum.GetValues<PilResample>())
        {
            data.Add(filter, 56, 40, 44, 32);   // shrink both
            data.Add(filter, 7, 5, 32, 32);     // enlarge both
            data.Add(filter, 30, 20, 30, 9);    // height only
            data.Add(filter, 30, 20, 11, 20);   // width only
            data.Add(filter, 1, 1, 5, 3);       // from a single pixel
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void A_one_colour_image_stays_one_colour(PilResample filter, int width, int height, int outWidth, int outHeight)
    {
        var pixels = Enumerable.Range(0, width * height).SelectMany(_ => new byte[] { 9, 128, 250 }).ToArray();
        var resized = PilResizer.Resize(new RgbImage(width, height, pixels, "flat"), outWidth, outHeight, filter);

        Assert.Equal((outWidth, outHeight), (resized.Width, resized.Height));
        Assert.All(resized.Pixels.ToArray().Chunk(3), p => Assert.Equal(new byte[] { 9, 128, 250 }, p));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Resizing_is_the_horizontal_pass_then_the_vertical_pass(PilResample filter, int width, int height, int outWidth, int outHeight)
    {
        var image = new RgbImage(width, height, TestImages.Pattern(width, height), "pattern");

        var both = PilResizer.Resize(image, outWidth, outHeight, filter);
        var twoSteps = PilResizer.Resize(PilResizer.Resize(image, outWidth, height, filter), outWidth, outHeight, filter);

        Assert.Equal(twoSteps.Pixels.ToArray(), both.Pixels.ToArray());
    }

    [Theory]
    [InlineData(PilResample.Bicubic, 37, 23, 50, 11)]
    [InlineData(PilResample.Bicubic, 101, 67, 13, 90)]
    [InlineData(PilResample.Bilinear, 64, 48, 29, 21)]
    [InlineData(PilResample.Bilinear, 3, 70, 40, 9)]
    public void The_vector_passes_equal_a_plain_scalar_convolution(PilResample filter, int width, int height, int outWidth, int outHeight)
    {
        var pixels = new byte[width * height * 3];
        new Random(width * 1000 + height).NextBytes(pixels);
        var image = new RgbImage(width, height, pixels, "noise");

        var resized = PilResizer.Resize(image, outWidth, outHeight, filter);

        Assert.Equal(SlowResize(pixels, width, height, outWidth, outHeight, filter), resized.Pixels.ToArray());
    }

    // The slow reference: PIL's two passes written as plain loops over the same fixed-point weights.
    private static byte[] SlowResize(byte[] pixels, int width, int height, int outWidth, int outHeight, PilResample filter)
    {
        var columns = ResampleCoefficients.Compute(width, outWidth, filter);
        var rows = ResampleCoefficients.Compute(height, outHeight, filter);
        var temp = new byte[height * outWidth * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < outWidth; x++)
                for (int ch = 0; ch < 3; ch++)
                {
                    int sum = 1 << 21;
                    for (int i = 0; i < columns.Count[x]; i++)
                        sum += pixels[(y * width + columns.First[x] + i) * 3 + ch] * columns.Weights[x * columns.Taps + i];
                    temp[(y * outWidth + x) * 3 + ch] = (byte)Math.Clamp(sum >> 22, 0, 255);
                }
        var output = new byte[outHeight * outWidth * 3];
        for (int y = 0; y < outHeight; y++)
            for (int x = 0; x < outWidth * 3; x++)
            {
                int sum = 1 << 21;
                for (int i = 0; i < rows.Count[y]; i++)
                    sum += temp[(rows.First[y] + i) * outWidth * 3 + x] * rows.Weights[y * rows.Taps + i];
                output[y * outWidth * 3 + x] = (byte)Math.Clamp(sum >> 22, 0, 255);
            }
        return output;
    }

    [Fact]
    public void The_same_size_is_a_copy()
    {
        var image = new RgbImage(6, 4, TestImages.Pattern(6, 4), "pattern");
        Assert.Equal(image.Pixels.ToArray(), PilResizer.Resize(image, 6, 4, PilResample.Bicubic).Pixels.ToArray());
    }

    [Theory]
    [InlineData(4, 2, new[] { 1, 3 })]      // centres 1.0, 3.0
    [InlineData(3, 2, new[] { 0, 2 })]      // 0.75, 2.25
    [InlineData(2, 5, new[] { 0, 0, 1, 1, 1 })] // 0.2, 0.6, 1.0, 1.4, 1.8
    public void Nearest_takes_the_source_pixel_under_each_output_centre(int inWidth, int outWidth, int[] columns)
    {
        var pixels = Enumerable.Range(0, inWidth).SelectMany(x => new[] { (byte)x, (byte)(10 * x), (byte)7 }).ToArray();
        var resized = PilResizer.Resize(new RgbImage(inWidth, 1, pixels, "row"), outWidth, 1, PilResample.Nearest);

        Assert.Equal(columns.Select(c => (byte)c).ToArray(), resized.Pixels.ToArray().Where((_, i) => i % 3 == 0).ToArray());
    }

    [Fact]
    public void Halving_with_bilinear_averages_with_the_widened_triangle()
    {
        // 4 -> 2: scale 2, support 2; output 0 has centre 1.0 and reads inputs 0..2 with weights
        // triangle((j - 1 + 0.5) / 2) = 0.75, 0.75, 0.25 for j = 0, 1, 2, normalised to 3/7, 3/7, 1/7.
        byte[] row = [0, 0, 0, 70, 70, 70, 140, 140, 140, 210, 210, 210];
        var resized = PilResizer.Resize(new RgbImage(4, 1, row, "row"), 2, 1, PilResample.Bilinear);

        Assert.Equal((byte)Math.Round((3 * 0 + 3 * 70 + 1 * 140) / 7.0), resized.Pixels.Span[0]); // 50
    }

    [Theory]
    [InlineData(PilResample.Bilinear, 640, 298)]
    [InlineData(PilResample.Bicubic, 640, 298)]
    [InlineData(PilResample.Bicubic, 40, 32)]
    [InlineData(PilResample.Bicubic, 7, 32)]
    public void Fixed_point_weights_sum_to_one(PilResample filter, int inSize, int outSize)
    {
        var c = ResampleCoefficients.Compute(inSize, outSize, filter);
        for (int i = 0; i < outSize; i++)
        {
            long sum = c.Weights.AsSpan(i * c.Taps, c.Count[i]).ToArray().Sum(w => (long)w);
            Assert.InRange(sum, (1L << 22) - c.Taps, (1L << 22) + c.Taps);
            Assert.InRange(c.First[i], 0, inSize - c.Count[i]);
        }
    }
}
