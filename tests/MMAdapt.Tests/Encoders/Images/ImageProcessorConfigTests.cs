using MMAdapt.Encoders.Images;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Encoders.Images;

public sealed class ImageProcessorConfigTests
{
    [Fact]
    public void The_fixture_configs_load()
    {
        var clip = ImageProcessorConfig.Load(TestImages.Fixture("clip_vision", "preprocessor_config.json"));
        var siglip = ImageProcessorConfig.Load(TestImages.Fixture("siglip_vision", "preprocessor_config.json"));

        Assert.Equal((32, null, null), (clip.Size!.ShortestEdge, clip.Size.Height, clip.Size.Width));
        Assert.True(clip.DoCenterCrop);
        Assert.Equal((32, 32), (clip.CropSize!.Height, clip.CropSize.Width));
        Assert.Equal(PilResample.Bicubic, clip.Filter);
        Assert.Equal(ImageProcessorConfig.ClipMean, clip.ImageMean);
        Assert.True(siglip.IsSiglip);
        Assert.False(siglip.DoCenterCrop);
        Assert.Equal((32, 32), (siglip.Size!.Height, siglip.Size.Width));
        Assert.Equal([0.5, 0.5, 0.5], siglip.ImageStd);
    }

    [Fact]
    public void A_legacy_clip_config_with_bare_sizes_gets_the_processor_defaults()
    {
        // openai/clip-vit-large-patch14 as first published: feature_extractor_type, bare numbers, no mean/std.
        using var folder = new TempFolder();
        var path = folder.File("preprocessor_config.json");
        File.WriteAllText(path, """{"feature_extractor_type": "CLIPFeatureExtractor", "size": 224, "crop_size": 224, "do_center_crop": true, "resample": 3}""");

        var config = ImageProcessorConfig.Load(path);

        Assert.Equal("CLIPImageProcessor", config.ProcessorType);
        Assert.Equal(224, config.Size!.ShortestEdge);
        Assert.Equal((224, 224), (config.CropSize!.Height, config.CropSize.Width));
        Assert.Equal(ImageProcessorConfig.ClipStd, config.ImageStd);
    }

    /// <summary>A config body and the phrases its error must hold (besides the file name).</summary>
    public static TheoryData<string, string[]> BadConfigs => new()
    {
        { """{"image_processor_type": "ViTImageProcessor"}""", ["image_processor_type 'ViTImageProcessor' is not supported", "CLIPImageProcessor, CLIPImageProcessorFast, SiglipImageProcessor"] },
        { """{"size": {"shortest_edge": 224}}""", ["image_processor_type '(missing)'"] },
        { """{"image_processor_type": "CLIPImageProcessor", "resample": 1}""", ["resample 1 (LANCZOS) is not supported", "0 (nearest), 2 (bilinear), 3 (bicubic)"] },
        { """{"image_processor_type": "CLIPImageProcessor", "size": {"longest_edge": 224}}""", ["size.longest_edge is not supported", "shortest_edge"] },
        { """{"image_processor_type": "SiglipImageProcessor", "size": {"shortest_edge": 224}}""", ["size is {\"shortest_edge\":224}", "expected {\"height\": H, \"width\": W}"] },
        { """{"image_processor_type": "CLIPImageProcessor", "crop_size": {"height": 0, "width": 4}}""", ["crop_size must be at least 1x1"] },
        { """{"image_processor_type": "CLIPImageProcessor", "image_mean": [0.5, 0.5]}""", ["image_mean must have 3 values", "got 2"] },
        { """{"image_processor_type": "CLIPImageProcessor", "image_std": [0.5, 0, 0.5]}""", ["image_std must hold finite, non-zero numbers"] },
        { """{"image_processor_type": "CLIPImageProcessor", "resample": "bicubic"}""", ["at key 'resample'"] },
        { """{"image_processor_type": "CLIPImageProcessor", "size": "big"}""", ["at key 'size'"] },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void A_bad_config_names_the_file_the_key_and_what_is_supported(string json, string[] phrases)
    {
        using var folder = new TempFolder();
        var path = folder.File("preprocessor_config.json");
        File.WriteAllText(path, json);

        var error = Assert.Throws<InvalidDataException>(() => ImageProcessorConfig.Load(path));

        Assert.StartsWith(path + ": ", error.Message);
        foreach (var phrase in phrases)
            Assert.Contains(phrase, error.Message);
    }

    [Fact]
    public void FromPretrained_names_a_missing_config()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<FileNotFoundException>(() => ImagePreprocessor.FromPretrained(folder.Path));
        Assert.Contains("preprocessor_config.json", error.Message);
    }
}
