using MMAdapt.Encoders.Images;
using SkiaSharp;
using Xunit;
using Xunit.Abstractions;

namespace MMAdapt.Tests.Encoders.Images;

public sealed class ImageDecoderTests(ITestOutputHelper output)
{
    private const int W = 7, H = 5;

    [Fact]
    public void Fixture_png_decodes_to_exactly_the_reference_rgb()
    {
        var image = ImageDecoder.Decode(TestImages.Fixture("image", "image_56x40.png"));
        using var expected = TestImages.Expected("image", "decoded_rgb");
        using var actual = image.ToTensor();

        Assert.Equal((56, 40), (image.Width, image.Height));
        Assert.Equal(TestImages.HwcBytes(expected), image.Pixels.ToArray());
        Assert.Equal(0.0, TestImages.MeanAbsDiff(actual, expected));
    }

    [Fact]
    public void Exif_orientation_6_jpeg_decodes_upright()
    {
        var path = TestImages.Fixture("image", "image_exif6.jpg");
        var image = ImageDecoder.Decode(path);
        using var expected = TestImages.Expected("image", "exif6_decoded_upright_rgb");
        using var actual = image.ToTensor();

        double mad = TestImages.MeanAbsDiff(actual, expected);
        output.WriteLine($"exif6 upright vs PIL: mean abs diff {mad:F3} levels");
        Assert.Equal((56, 40), (image.Width, image.Height)); // stored 40x56, rotated upright
        Assert.True(mad <= 3.0, $"mean abs diff {mad:F3} > 3 levels");
    }

    [Fact]
    public void Decoding_a_path_and_its_bytes_gives_the_same_image()
    {
        var path = TestImages.Fixture("image", "image_56x40.jpg");
        var fromPath = ImageDecoder.Decode(path);
        var fromBytes = ImageDecoder.Decode(File.ReadAllBytes(path), "in-memory.jpg");

        Assert.Equal(fromPath.Pixels.ToArray(), fromBytes.Pixels.ToArray());
        Assert.Equal(path, fromPath.Source);
        Assert.Equal("in-memory.jpg", fromBytes.Source);
    }

    public static TheoryData<string> FormatNames => new(FormatCases.Keys);

    /// <summary>Each format and colour type: the encoded bytes, the RGB the decoder must give, and the largest
    /// allowed mean absolute difference (0 for lossless formats).</summary>
    private static readonly Dictionary<string, Func<(byte[] Encoded, byte[] Expected, double MaxMad)>> FormatCases = new()
    {
        ["png-rgb (Skia)"] = () =>
        {
            var rgb = TestImages.Pattern(W, H);
            return (TestImages.Encode(W, H, rgb, SKEncodedImageFormat.Png), rgb, 0);
        },
        ["png-grey"] = () =>
        {
            var grey = Enumerable.Range(0, W * H).Select(i => (byte)(i * 7)).ToArray();
            return (TestImages.Png(W, H, 0, grey), grey.SelectMany(g => new[] { g, g, g }).ToArray(), 0);
        },
        ["png-grey-alpha"] = () =>
        {
            var samples = Enumerable.Range(0, W * H).SelectMany(i => new[] { (byte)(i * 7), (byte)(i * 37 % 256) }).ToArray();
            var expected = Enumerable.Range(0, W * H).SelectMany(i =>
            {
                var v = Composite(samples[2 * i], samples[2 * i + 1]);
                return new[] { v, v, v };
            }).ToArray();
            return (TestImages.Png(W, H, 4, samples), expected, 0);
        },
        ["png-rgba"] = () =>
        {
            var rgb = TestImages.Pattern(W, H);
            var alpha = Enumerable.Range(0, W * H).Select(i => (byte)(i == 0 ? 0 : i == 1 ? 255 : i * 53 % 256)).ToArray();
            var samples = Enumerable.Range(0, W * H).SelectMany(i => new[] { rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], alpha[i] }).ToArray();
            var expected = Enumerable.Range(0, W * H * 3).Select(k => Composite(rgb[k], alpha[k / 3])).ToArray();
            return (TestImages.Png(W, H, 6, samples), expected, 0);
        },
        ["png-palette (tRNS)"] = () =>
        {
            byte[] palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
            byte[] trns = [255, 128, 0]; // entry 1 half transparent, entry 2 fully transparent, entry 3 opaque
            var indices = Enumerable.Range(0, W * H).Select(i => (byte)(i % 4)).ToArray();
            var expected = indices.SelectMany(ix => Enumerable.Range(0, 3).Select(c =>
                Composite(palette[ix * 3 + c], ix < trns.Length ? trns[ix] : (byte)255))).ToArray();
            return (TestImages.Png(W, H, 3, indices, palette, trns), expected, 0);
        },
        ["jpeg (Skia, quality 100)"] = () =>
        {
            var rgb = Smooth(W * 4, H * 4);
            return (TestImages.Encode(W * 4, H * 4, rgb, SKEncodedImageFormat.Jpeg), rgb, 3);
        },
        ["bmp (24-bit)"] = () =>
        {
            var rgb = TestImages.Pattern(W, H, seed: 3);
            return (TestImages.Bmp(W, H, rgb), rgb, 0);
        },
        ["gif (2 frames: first)"] = () =>
        {
            byte[] palette = [0, 0, 0, 250, 10, 10, 10, 250, 10, 10, 10, 250];
            var first = Enumerable.Range(0, W * H).Select(i => (byte)(i % 4)).ToArray();
            var second = Enumerable.Repeat((byte)1, W * H).ToArray();
            var expected = first.SelectMany(ix => palette.Skip(ix * 3).Take(3)).ToArray();
            return (TestImages.Gif(W, H, palette, first, second), expected, 0);
        },
        ["webp (lossless)"] = () =>
        {
            var rgb = TestImages.Pattern(W, H, seed: 5);
            return (TestImages.Encode(W, H, rgb, SKEncodedImageFormat.Webp), rgb, 0);
        },
    };

    [Theory]
    [MemberData(nameof(FormatNames))]
    public void Every_format_and_colour_type_decodes_to_rgb(string name)
    {
        var (encoded, expected, maxMad) = FormatCases[name]();
        var image = ImageDecoder.Decode(encoded, name);

        Assert.Equal(expected.Length, image.Width * image.Height * 3);
        var actual = image.Pixels.ToArray();
        double mad = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Average();
        output.WriteLine($"{name}: {image.Width}x{image.Height}, mean abs diff {mad:F3}");
        if (maxMad == 0)
            Assert.Equal(expected, actual);
        else
            Assert.True(mad <= maxMad, $"{name}: mean abs diff {mad:F3} > {maxMad}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Every_exif_orientation_comes_out_upright(int orientation)
    {
        const int w = 4, h = 3;
        var upright = TestImages.Pattern(w, h, seed: orientation);
        // Where upright pixel (x, y) is stored, by the EXIF definitions of the 0th row and column.
        (int X, int Y) Stored(int x, int y) => orientation switch
        {
            2 => (w - 1 - x, y),
            3 => (w - 1 - x, h - 1 - y),
            4 => (x, h - 1 - y),
            5 => (y, x),
            6 => (y, w - 1 - x),         // stored turned 90 degrees anticlockwise
            7 => (h - 1 - y, w - 1 - x),
            8 => (h - 1 - y, x),         // stored turned 90 degrees clockwise
            _ => (x, y),
        };
        int storedWidth = orientation >= 5 ? h : w, storedHeight = orientation >= 5 ? w : h;
        var rgba = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var (sx, sy) = Stored(x, y);
                int s = (sy * storedWidth + sx) * 4, u = (y * w + x) * 3;
                (rgba[s], rgba[s + 1], rgba[s + 2], rgba[s + 3]) = (upright[u], upright[u + 1], upright[u + 2], 255);
            }

        var rgb = new byte[w * h * 3];
        RgbaFlattener.Flatten(rgba, storedWidth, storedHeight, orientation, rgb);

        Assert.Equal((w, h), RgbaFlattener.UprightSize(storedWidth, storedHeight, orientation));
        Assert.Equal(upright, rgb);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(37, 11)]
    public void The_opaque_fast_path_equals_the_general_one(int width, int height)
    {
        var rgba = new byte[width * height * 4];
        new Random(width).NextBytes(rgba);
        for (int i = 3; i < rgba.Length; i += 4)
            rgba[i] = 255;
        var general = new byte[width * height * 3];
        var fast = new byte[width * height * 3];

        RgbaFlattener.Flatten(rgba, width, height, 1, general);
        RgbaFlattener.Flatten(rgba, width, height, 1, fast, opaque: true);

        Assert.Equal(general, fast);
    }

    [Fact]
    public void Compositing_over_white_equals_PIL_alpha_composite_for_every_value()
    {
        for (int a = 0; a < 256; a++)
            for (int c = 0; c < 256; c++)
            {
                // PIL's ImagingAlphaComposite (7 fractional bits) with an opaque white destination.
                uint coef1 = (uint)(a * 255 * 255 * 128 / 65025), coef2 = 255 * 128 - coef1;
                uint t = (uint)c * coef1 + 255 * coef2 + (0x80 << 7);
                byte pil = a == 0 ? (byte)255 : (byte)((((t >> 8) + t) >> 8) >> 7);
                Assert.Equal(pil, RgbaFlattener.OverWhite(c, a));
            }
    }

    [Fact]
    public void An_image_becomes_a_chw_float_tensor()
    {
        var pixels = TestImages.Pattern(3, 2);
        var image = new RgbImage(3, 2, pixels, "pattern");
        using var tensor = image.ToTensor();

        Assert.Equal(new long[] { 3, 2, 3 }, tensor.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, tensor.dtype);
        Assert.Equal(pixels[(1 * 3 + 2) * 3 + 1], tensor[1, 1, 2].item<float>());
    }

    [Fact]
    public void An_image_with_a_wrong_pixel_count_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new RgbImage(3, 2, new byte[17], "short"));
        Assert.Contains("18", error.Message);
    }

    private static byte Composite(byte c, byte a) => (byte)Math.Round((c * a + 255.0 * (255 - a)) / 255.0, MidpointRounding.AwayFromZero);

    private static byte[] Smooth(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int p = (y * width + x) * 3;
                rgb[p] = (byte)(60 + 4 * x);
                rgb[p + 1] = (byte)(90 + 5 * y);
                rgb[p + 2] = (byte)(120 + 2 * (x + y));
            }
        return rgb;
    }
}
