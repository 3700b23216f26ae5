using MMAdapt.Encoders.Images;
using MMAdapt.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Encoders.Images;

public sealed class ImagePreprocessorTests(ITestOutputHelper output)
{
    private static string FixtureImage => TestImages.Fixture("image", "image_56x40.png");

    /// <summary>Processor folder, expected tensors file folder, tensor name. The CLIP fixtures round the long side
    /// of the shortest-edge resize (56x40 to 45x32) where Hugging Face truncates (44x32), so they are compared
    /// with <see cref="ShortestEdgeRounding.Round"/>; SigLIP resizes to a fixed size and needs no choice.</summary>
    public static TheoryData<string, string, string> PixelFixtures => new()
    {
        { "clip_vision", "image", "clip_pixel_values" },
        { "siglip_vision", "image", "siglip_pixel_values" },
        { "clip_vision", "clip_vision", "image_pixel_values" },
        { "siglip_vision", "siglip_vision", "image_pixel_values" },
    };

    [Theory]
    [MemberData(nameof(PixelFixtures))]
    public void Pixel_values_match_the_PIL_reference(string processor, string expectedFolder, string name)
    {
        var config = ImageProcessorConfig.Load(TestImages.Fixture(processor, "preprocessor_config.json"));
        var preprocessor = new ImagePreprocessor(config with { ShortestEdgeRounding = ShortestEdgeRounding.Round });
        using var expected = TestImages.Expected(expectedFolder, name);
        using var actual = expected.dim() == 4
            ? preprocessor.PreprocessFiles([FixtureImage])
            : preprocessor.Preprocess(ImageDecoder.Decode(FixtureImage));

        double mad = TestImages.MeanAbsDiff(actual, expected);
        using var diff = (actual - expected).abs();
        double max = diff.max().item<float>();
        output.WriteLine($"{processor} vs {expectedFolder}/{name}: mean abs diff {mad:E2}, max {max:E2}");
        Assert.True(mad <= 1e-6, $"mean abs diff {mad:E2} (max {max:E2})");
    }

    [Fact]
    public void Hugging_Face_truncation_resizes_the_fixture_to_44_columns_not_45()
    {
        var truncating = ImagePreprocessor.FromPretrained(TestImages.Fixture("clip_vision"));
        var rounding = new ImagePreprocessor(truncating.Config with { ShortestEdgeRounding = ShortestEdgeRounding.Round });
        var image = ImageDecoder.Decode(FixtureImage);
        using var expected = TestImages.Expected("image", "clip_pixel_values");

        using var hf = truncating.Preprocess(image);
        using var fixtureConvention = rounding.Preprocess(image);

        output.WriteLine($"default (HF int()) vs clip_pixel_values: mean abs diff {TestImages.MeanAbsDiff(hf, expected):E3}");
        Assert.True(TestImages.Same(fixtureConvention, expected));
        using var viaHfSize = ResizeCropNormalise(image, 44, truncating);
        Assert.True(TestImages.Same(hf, viaHfSize));
    }

    // Resize to width x 32 with PIL bicubic, then the processor's crop and normalisation (a fixed-size SigLIP-style
    // resize that leaves the size unchanged, with CLIP's crop and statistics).
    private static Tensor ResizeCropNormalise(RgbImage image, int width, ImagePreprocessor clip)
    {
        var resized = PilResizer.Resize(image, width, 32, PilResample.Bicubic);
        var cropOnly = new ImagePreprocessor(clip.Config with { DoResize = false });
        return cropOnly.Preprocess(resized);
    }

    [Fact]
    public void Output_size_and_mode_follow_the_config()
    {
        var clip = ImagePreprocessor.FromPretrained(TestImages.Fixture("clip_vision"));
        var siglip = ImagePreprocessor.FromPretrained(TestImages.Fixture("siglip_vision"));
        var llava = ImagePreprocessor.FromPretrained(TestImages.Fixture("clip_vision"), padToSquare: true);

        Assert.Equal((ImageResizeMode.ShortestEdgeCrop, 32, 32), (clip.Mode, clip.OutputHeight, clip.OutputWidth));
        Assert.Equal((ImageResizeMode.Squash, 32, 32), (siglip.Mode, siglip.OutputHeight, siglip.OutputWidth));
        Assert.Equal(ImageResizeMode.PadToSquare, llava.Mode);
        Assert.Equal(((byte)122, (byte)116, (byte)104), llava.PadColour); // int(mean * 255) of CLIP's mean
    }

    [Fact]
    public void Pad_to_square_pastes_the_image_centred_on_the_mean_colour()
    {
        var pixels = TestImages.Pattern(5, 2);
        var wide = new RgbImage(5, 2, pixels, "wide");
        var fill = ((byte)122, (byte)116, (byte)104);

        var square = ImageGeometry.ExpandToSquare(wide, fill);

        Assert.Equal((5, 5), (square.Width, square.Height));
        var canvas = square.Pixels.ToArray();
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 5; x++)
            {
                // Row offset (5 - 2) // 2 = 1: rows 1 and 2 hold the image.
                var expected = y is 1 or 2 ? pixels.AsSpan(((y - 1) * 5 + x) * 3, 3).ToArray() : [122, 116, 104];
                Assert.Equal(expected, canvas.AsSpan((y * 5 + x) * 3, 3).ToArray());
            }

        var tall = ImageGeometry.ExpandToSquare(new RgbImage(2, 5, TestImages.Pattern(2, 5), "tall"), fill);
        Assert.Equal(new byte[] { 122, 116, 104 }, tall.Pixels.Slice(((2 * 5) + 0) * 3, 3).ToArray()); // column 0 of row 2 is canvas
        Assert.Equal(TestImages.Pattern(2, 5).AsSpan(0, 3).ToArray(), tall.Pixels.Slice(1 * 3, 3).ToArray()); // (1, 0) is image (0, 0)
    }

    [Fact]
    public void Pad_mode_equals_expanding_then_the_normal_pipeline()
    {
        var image = ImageDecoder.Decode(FixtureImage);
        var padded = ImagePreprocessor.FromPretrained(TestImages.Fixture("clip_vision"), padToSquare: true);
        var plain = ImagePreprocessor.FromPretrained(TestImages.Fixture("clip_vision"));

        using var viaMode = padded.Preprocess(image);
        using var viaCanvas = plain.Preprocess(ImageGeometry.ExpandToSquare(image, padded.PadColour));

        Assert.Equal(new long[] { 3, 32, 32 }, viaMode.shape);
        Assert.True(TestImages.Same(viaMode, viaCanvas));
    }

    [Theory]
    [InlineData("clip_vision")]
    [InlineData("siglip_vision")]
    public void A_one_pixel_image_is_resized_up_to_the_full_shape(string processor)
    {
        var preprocessor = ImagePreprocessor.FromPretrained(TestImages.Fixture(processor));
        var dot = ImageDecoder.Decode(TestImages.Png(1, 1, 2, [200, 100, 50]), "dot.png");

        using var pixels = preprocessor.Preprocess(dot);

        Assert.Equal(new long[] { 3, 32, 32 }, pixels.shape);
        using var min = pixels.amin([1, 2]);
        using var max = pixels.amax([1, 2]);
        Assert.True(TestImages.Same(min, max), "a one-colour image stays one colour");
    }

    [Fact]
    public void Batches_keep_their_order_and_match_one_by_one_preprocessing()
    {
        using var folder = new TempFolder();
        var paths = Enumerable.Range(0, 6).Select(i =>
        {
            var path = folder.File($"image{i}.png");
            int w = 20 + 7 * i, h = 30 - 2 * i;
            File.WriteAllBytes(path, TestImages.Png(w, h, 2, TestImages.Pattern(w, h, seed: i)));
            return path;
        }).ToList();
        var preprocessor = ImagePreprocessor.FromPretrained(TestImages.Fixture("clip_vision"));

        using var batch = preprocessor.PreprocessFiles(paths, maxThreads: 2);

        Assert.Equal(new long[] { 6, 3, 32, 32 }, batch.shape);
        for (int i = 0; i < paths.Count; i++)
        {
            using var single = preprocessor.Preprocess(ImageDecoder.Decode(paths[i]));
            using var row = batch[i];
            Assert.True(TestImages.Same(row, single), $"image {i} differs from its one-by-one result");
        }
    }

    [Fact]
    public void A_failing_file_in_a_batch_names_the_file_and_its_index()
    {
        using var folder = new TempFolder();
        var good = folder.File("good.png");
        File.WriteAllBytes(good, TestImages.Png(4, 4, 2, TestImages.Pattern(4, 4)));
        var bad = folder.File("bad.png");
        File.WriteAllText(bad, "not an image");
        var preprocessor = ImagePreprocessor.FromPretrained(TestImages.Fixture("siglip_vision"));

        var error = Assert.Throws<ImageDecodeException>(() => preprocessor.PreprocessFiles([good, good, bad, good, bad], maxThreads: 2));

        Assert.StartsWith($"{bad} (image 2 of 5): ", error.Message);
        Assert.Equal(2, error.Index);
    }

    [Fact]
    public void A_config_without_a_fixed_output_size_cannot_batch()
    {
        var config = new ImageProcessorConfig { ImageProcessorType = "CLIPImageProcessor", DoCenterCrop = false, Size = ImageSize.Shortest(16) };
        var preprocessor = new ImagePreprocessor(config);
        var image = ImageDecoder.Decode(FixtureImage);

        using var single = preprocessor.Preprocess(image);

        Assert.Equal(new long[] { 3, 16, 22 }, single.shape); // 56x40 -> short side 16, long int(16 * 56 / 40) = 22
        Assert.False(preprocessor.HasFixedOutputSize);
        Assert.Throws<InvalidOperationException>(() => preprocessor.PreprocessBatch([image]));
    }

    [Theory]
    [InlineData(56, 40, 32, 32, 44)]   // landscape: short side 32, long int(32 * 56 / 40) = int(44.8)
    [InlineData(40, 56, 32, 44, 32)]   // portrait
    [InlineData(640, 480, 224, 224, 298)] // int(298.67)
    [InlineData(30, 30, 224, 224, 224)]
    [InlineData(1, 1, 32, 32, 32)]
    [InlineData(224, 300, 224, 300, 224)] // short side already right: unchanged
    public void Shortest_edge_size_truncates_the_long_side_as_HF_does(int width, int height, int edge, int outHeight, int outWidth) =>
        Assert.Equal((outHeight, outWidth), ImageGeometry.ShortestEdgeSize(width, height, edge));

    [Theory]
    [InlineData(56, 40, 32, 32, 45)]   // round(44.8)
    [InlineData(640, 480, 224, 224, 299)] // round(298.67)
    [InlineData(36, 16, 4, 4, 9)]      // 9.0 exactly
    [InlineData(18, 8, 4, 4, 9)]       // 9.0
    [InlineData(45, 20, 4, 4, 9)]      // 9.0
    [InlineData(49, 4, 2, 2, 24)]      // 24.5: half to even, as Python's round
    public void Shortest_edge_size_can_round_as_the_fixtures_do(int width, int height, int edge, int outHeight, int outWidth) =>
        Assert.Equal((outHeight, outWidth), ImageGeometry.ShortestEdgeSize(width, height, edge, ShortestEdgeRounding.Round));

    [Theory]
    [InlineData(44, 32, 32, 32, 0, 6)]   // (44 - 32) // 2
    [InlineData(45, 33, 32, 32, 0, 6)]   // floor(13 / 2), floor(1 / 2)
    [InlineData(3, 3, 6, 5, -2, -1)]     // larger crop: floor(-3 / 2) = -2, floor(-2 / 2) = -1
    [InlineData(4, 6, 3, 5, 1, -1)]      // rows cropped, columns padded
    public void Centre_crop_origin_floors_as_python_does(int width, int height, int cropHeight, int cropWidth, int top, int left) =>
        Assert.Equal((top, left), ImageGeometry.CenterCropOrigin(width, height, cropHeight, cropWidth));

    [Fact]
    public void A_crop_larger_than_the_image_pads_with_zeros()
    {
        var image = new RgbImage(2, 1, [1, 2, 3, 4, 5, 6], "two");
        var cropped = ImageGeometry.CenterCrop(image, 3, 4);

        // Image at row ceil((3 - 1) / 2) = 1, column ceil((4 - 2) / 2) = 1.
        var expected = new byte[3 * 4 * 3];
        new byte[] { 1, 2, 3, 4, 5, 6 }.CopyTo(expected, (1 * 4 + 1) * 3);
        Assert.Equal(expected, cropped.Pixels.ToArray());
    }
}
