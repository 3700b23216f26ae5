using TorchSharp;
using MMAdapt.Encoders.Audio;
using MMAdapt.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>Whisper's log-mel front end against the fixture (Hugging Face numpy path), and its edges.</summary>
public class WhisperFeatureExtractorTests(ITestOutputHelper output)
{
    private static string Folder => FixturePaths.Of("whisper_encoder");

    [Fact]
    public void Config_is_read_from_the_fixture()
    {
        using var extractor = WhisperFeatureExtractor.FromPretrained(Folder);
        var c = extractor.Config;
        Assert.Equal((80, 16000, 400, 160, 1, 16000, 100, 0.0), (c.FeatureSize, c.SamplingRate, c.NFft, c.HopLength, c.ChunkLength, c.NSamples, c.NbMaxFrames, c.PaddingValue));
        Assert.Equal(201, c.FrequencyBins);
    }

    [Fact]
    public void Mel_filters_match_the_fixture()
    {
        using var extractor = WhisperFeatureExtractor.FromPretrained(Folder);
        using var expected = AudioFixtures.Expected("whisper_encoder", "mel_filters");
        Assert.Equal(ScalarType.Float32, extractor.MelFilters.dtype);
        double maxAbs = AudioFixtures.MaxAbsDiff(extractor.MelFilters, expected);
        output.WriteLine($"mel_filters: max abs diff {maxAbs:E3}");
        Assert.True(maxAbs <= 1e-6, $"mel_filters max abs diff {maxAbs:E3} exceeds 1e-6");
    }

    [Fact]
    public void Log_mel_of_the_fixture_audio_matches()
    {
        using var extractor = WhisperFeatureExtractor.FromPretrained(Folder);
        var clip = AudioFileReader.Read(Path.Combine(Folder, "audio_16k_mono.wav"), 16000);
        using var features = extractor.Extract(clip);
        using var expected = AudioFixtures.Expected("whisper_encoder", "log_mel");
        Assert.Equal(new long[] { 80, 100 }, features.shape);
        Assert.Equal(ScalarType.Float32, features.dtype);
        double maxAbs = AudioFixtures.MaxAbsDiff(features, expected);
        output.WriteLine($"log_mel: max abs diff {maxAbs:E3}, relative {TensorAssert.RelativeError(features, expected):E3}");
        Assert.True(maxAbs <= 1e-4, $"log_mel max abs diff {maxAbs:E3} exceeds 1e-4");
    }

    [Fact]
    public void Input_is_padded_with_zeros_or_trimmed_to_n_samples()
    {
        using var extractor = WhisperFeatureExtractor.FromPretrained(Folder);
        var samples = AudioFileReader.Read(Path.Combine(Folder, "audio_16k_mono.wav")).Samples;
        using var full = extractor.Extract(samples);
        using var longer = extractor.Extract([.. samples, .. Enumerable.Repeat(0.3f, 5000)]);
        Assert.True(full.eq(longer).all().item<bool>());
        var half = samples[..8000];
        using var shorter = extractor.Extract(half);
        using var padded = extractor.Extract([.. half, .. new float[8000]]);
        Assert.True(shorter.eq(padded).all().item<bool>());
    }

    [Fact]
    public void Silence_and_empty_input_give_the_floor_everywhere()
    {
        // log10(1e-10) = -10 everywhere, so (x + 4) / 4 = -1.5.
        using var extractor = WhisperFeatureExtractor.FromPretrained(Folder);
        foreach (var samples in new[] { Array.Empty<float>(), new float[16000] })
        {
            using var features = extractor.Extract(samples);
            Assert.Equal(new long[] { 80, 100 }, features.shape);
            Assert.True((features + 1.5).abs().max().item<float>() < 1e-6);
        }
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(8000, 50)]
    [InlineData(15999, 100)]
    [InlineData(16000, 100)]
    [InlineData(50000, 100)]
    public void Valid_frames_count_the_attention_mask(int samples, int frames)
    {
        using var extractor = WhisperFeatureExtractor.FromPretrained(Folder);
        Assert.Equal(frames, extractor.ValidFrames(samples));
    }

    [Fact]
    public void Whisper_large_v3_uses_128_mel_bins()
    {
        using var extractor = new WhisperFeatureExtractor(new WhisperFeatureConfig { FeatureSize = 128, ChunkLength = 2 });
        Assert.Equal(new long[] { 128, 201 }, extractor.MelFilters.shape);
        Assert.True(extractor.MelFilters.min().item<float>() >= 0);
        // Every filter is a non-empty triangle, and the peaks rise with the filter index.
        using var peaks = extractor.MelFilters.argmax(1);
        var bins = peaks.data<long>().ToArray();
        Assert.True(bins.Zip(bins.Skip(1)).All(p => p.First <= p.Second));
        Assert.True(extractor.MelFilters.max(1).values.min().item<float>() > 0);
        var samples = Enumerable.Range(0, 20000).Select(i => MathF.Sin(i * 0.2f) * 0.1f).ToArray();
        using var features = extractor.Extract(samples);
        Assert.Equal(new long[] { 128, 200 }, features.shape);
        Assert.Equal(125, extractor.ValidFrames(20000));
    }

    [Fact]
    public void A_clip_at_another_rate_is_rejected_naming_its_source()
    {
        using var extractor = WhisperFeatureExtractor.FromPretrained(Folder);
        var e = Assert.Throws<ArgumentException>(() => extractor.Extract(new AudioClip(new float[100], 44100, "talk.wav")));
        Assert.StartsWith("talk.wav: audio is at 44100 Hz but the Whisper feature extractor expects 16000 Hz", e.Message);
    }

    [Fact]
    public void Extract_leaks_no_tensors()
    {
        using var extractor = WhisperFeatureExtractor.FromPretrained(Folder);
        var samples = new float[12345];
        extractor.Extract(samples).Dispose();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++)
            extractor.Extract(samples).Dispose();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Theory]
    [InlineData("n_samples", 480000, "n_samples is 480000, expected chunk_length * sampling_rate = 1 * 16000 = 16000")]
    [InlineData("nb_max_frames", 3000, "nb_max_frames is 3000, expected n_samples / hop_length = 16000 / 160 = 100")]
    [InlineData("hop_length", 0, "hop_length must be positive, got 0")]
    [InlineData("feature_extractor_type", "ASTFeatureExtractor", "feature_extractor_type is 'ASTFeatureExtractor', expected 'WhisperFeatureExtractor'")]
    [InlineData("dither", 1.0, "dither 1 is not supported")]
    public void Inconsistent_configs_are_rejected_naming_the_file(string key, object value, string phrase)
    {
        using var temp = new TempFolder();
        var (folder, path) = AudioFixtures.WithPreprocessorKey(temp, Folder, key, value);
        var e = Assert.Throws<InvalidDataException>(() => WhisperFeatureExtractor.FromPretrained(folder));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(phrase, e.Message);
    }

    [Fact]
    public void A_folder_without_a_preprocessor_config_names_the_file()
    {
        using var temp = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => WhisperFeatureExtractor.FromPretrained(temp.Path));
        Assert.Contains("preprocessor_config.json", e.Message);
    }
}
