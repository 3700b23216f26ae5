using MMAdapt.Encoders.Audio;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>AST's Kaldi-fbank front end against the fixture (Hugging Face + torchaudio.compliance.kaldi).</summary>
public class AstFeatureExtractorTests(ITestOutputHelper output)
{
    private static string Folder => FixturePaths.Of("ast");

    [Fact]
    public void Input_values_of_the_fixture_audio_match()
    {
        var extractor = AstFeatureExtractor.FromPretrained(Folder);
        var clip = AudioFileReader.Read(Path.Combine(Folder, "audio_16k_mono.wav"), 16000);
        using var features = extractor.Extract(clip);
        using var expected = AudioFixtures.Expected("ast", "input_values");
        Assert.Equal(new long[] { 100, 32 }, features.shape);
        Assert.Equal(ScalarType.Float32, features.dtype);
        double maxAbs = AudioFixtures.MaxAbsDiff(features, expected);
        output.WriteLine($"input_values: max abs diff {maxAbs:E3}, relative {TensorAssert.RelativeError(features, expected):E3}");
        Assert.True(maxAbs <= 1e-3, $"input_values max abs diff {maxAbs:E3} exceeds 1e-3");
    }

    [Fact]
    public void One_second_gives_98_kaldi_frames_then_zero_frames_normalised()
    {
        // snip_edges: 1 + (16000 - 400) / 160 = 98 frames; frames 98 and 99 are zero padding, normalised.
        var extractor = AstFeatureExtractor.FromPretrained(Folder);
        Assert.Equal(98, extractor.ValidFrames(16000));
        var samples = AudioFileReader.Read(Path.Combine(Folder, "audio_16k_mono.wav")).Samples;
        using var features = extractor.Extract(samples);
        float padded = (float)((0 - extractor.Config.Mean) / (2 * extractor.Config.Std));
        using var tail = features.narrow(0, 98, 2);
        Assert.True((tail - padded).abs().max().item<float>() < 1e-6);
        using var fbank = KaldiFbank.Compute(samples, 16000, 32, KaldiFbankOptions.AudioSpectrogramTransformer);
        Assert.Equal(new long[] { 98, 32 }, fbank.shape);
        using var head = features.narrow(0, 0, 98);
        using var normalised = (fbank - (float)extractor.Config.Mean) / (float)(2 * extractor.Config.Std);
        Assert.True(head.eq(normalised).all().item<bool>());
    }

    [Fact]
    public void Long_audio_is_trimmed_to_max_length_frames()
    {
        var extractor = new AstFeatureExtractor(new AstFeatureConfig { NumMelBins = 16, MaxLength = 10 });
        var samples = Enumerable.Range(0, 8000).Select(i => MathF.Sin(i * 0.3f) * 0.2f).ToArray();
        using var features = extractor.Extract(samples);
        using var prefix = extractor.Extract(samples[..(400 + 9 * 160)]);
        Assert.Equal(new long[] { 10, 16 }, features.shape);
        Assert.True((features - prefix).abs().max().item<float>() < 1e-5);  // batched FFT/matmul may round differently
        Assert.Equal(10, extractor.ValidFrames(8000));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(399)]
    public void Audio_shorter_than_one_frame_is_all_padding(int length)
    {
        var extractor = AstFeatureExtractor.FromPretrained(Folder);
        using var features = extractor.Extract(new float[length]);
        Assert.Equal(new long[] { 100, 32 }, features.shape);
        float padded = (float)((0 - extractor.Config.Mean) / (2 * extractor.Config.Std));
        Assert.True((features - padded).abs().max().item<float>() < 1e-6);
        Assert.Equal(0, extractor.ValidFrames(length));
    }

    [Fact]
    public void Without_normalisation_the_values_are_the_raw_fbank()
    {
        var samples = AudioFileReader.Read(Path.Combine(Folder, "audio_16k_mono.wav")).Samples;
        var extractor = new AstFeatureExtractor(AstFeatureConfig.Load(Path.Combine(Folder, "preprocessor_config.json")) with { DoNormalize = false });
        using var features = extractor.Extract(samples);
        using var fbank = KaldiFbank.Compute(samples, 16000, 32, KaldiFbankOptions.AudioSpectrogramTransformer);
        Assert.True(features.narrow(0, 0, 98).eq(fbank).all().item<bool>());
        Assert.Equal(0f, features[99].abs().max().item<float>());
    }

    [Fact]
    public void A_clip_at_another_rate_is_rejected_naming_its_source()
    {
        var extractor = AstFeatureExtractor.FromPretrained(Folder);
        var e = Assert.Throws<ArgumentException>(() => extractor.Extract(new AudioClip(new float[100], 8000, "bird.wav")));
        Assert.StartsWith("bird.wav: audio is at 8000 Hz but the AST feature extractor expects 16000 Hz", e.Message);
    }

    [Fact]
    public void Extract_leaks_no_tensors()
    {
        var extractor = AstFeatureExtractor.FromPretrained(Folder);
        var samples = Enumerable.Range(0, 5000).Select(i => MathF.Cos(i * 0.01f)).ToArray();
        extractor.Extract(samples).Dispose();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++)
        {
            extractor.Extract(samples).Dispose();
            Resampler.Resample(samples, 16000, 22050);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Theory]
    [InlineData("feature_extractor_type", "WhisperFeatureExtractor", "feature_extractor_type is 'WhisperFeatureExtractor', expected 'ASTFeatureExtractor'")]
    [InlineData("num_mel_bins", 3, "num_mel_bins must be more than 3 (Kaldi mel banks), got 3")]
    [InlineData("max_length", 0, "max_length must be positive, got 0")]
    [InlineData("std", 0.0, "std must be positive when do_normalize is true, got 0")]
    public void Bad_configs_are_rejected_naming_the_file(string key, object value, string phrase)
    {
        using var temp = new TempFolder();
        var (folder, path) = AudioFixtures.WithPreprocessorKey(temp, Folder, key, value);
        var e = Assert.Throws<InvalidDataException>(() => AstFeatureExtractor.FromPretrained(folder));
        Assert.Equal($"{path}: {phrase}.", e.Message);
    }
}
