using MMAdapt.Encoders.Audio;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Finetune.Multimodal;

public class FeaturePlotsTests
{
    [Fact]
    public void A_spectrogram_of_whisper_features_is_a_png_of_the_asked_size()
    {
        using var extractor = WhisperFeatureExtractor.FromPretrained(FixturePaths.Of("whisper_encoder"));
        var clip = AudioFileReader.Read(FixturePaths.Of("whisper_encoder", "audio_16k_mono.wav"), extractor.Config.SamplingRate);
        using var logMel = extractor.Extract(clip);                                            // [80, 100]

        var png = FeaturePlots.Spectrogram(logMel, "log-mel", width: 640, height: 240);

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Bytes.Take(4));
        Assert.Equal((640, 240), (png.Width, png.Height));
        Assert.Null(png.SavedTo);
    }

    [Fact]
    public void A_spectrogram_needs_a_non_empty_2d_tensor()
    {
        using var flat = zeros(10);
        using var empty = zeros(0, 5);
        Assert.Contains("got shape [10]", Assert.Throws<ArgumentException>(() => FeaturePlots.Spectrogram(flat, "x")).Message);
        Assert.Contains("got shape [0, 5]", Assert.Throws<ArgumentException>(() => FeaturePlots.Spectrogram(empty, "x")).Message);
    }
}
