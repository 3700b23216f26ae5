using MMAdapt.Encoders.Audio;
using MMAdapt.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>The fixture WAVs: read as they are, and the 44.1 kHz stereo file downmixed and resampled
/// against torchaudio's resample.</summary>
public class AudioFixtureTests(ITestOutputHelper output)
{
    private static string Mono16k => FixturePaths.Of("whisper_encoder", "audio_16k_mono.wav");
    private static string Stereo44k => FixturePaths.Of("whisper_encoder", "audio_44k_stereo.wav");

    [Fact]
    public void Mono_16k_is_read_without_resampling()
    {
        var clip = AudioFileReader.Read(Mono16k, targetSampleRate: 16000);
        Assert.Equal(16000, clip.SampleRate);
        Assert.Equal(Mono16k, clip.Source);
        Assert.Equal(16000, clip.Samples.Length);
        // Independent decode: 16-bit little-endian after the 44-byte canonical header, / 32768.
        var bytes = File.ReadAllBytes(Mono16k);
        var expected = Enumerable.Range(0, 16000).Select(i => BitConverter.ToInt16(bytes, 44 + 2 * i) / 32768f);
        Assert.Equal(expected, clip.Samples);
        Assert.Equal(clip.Samples, AudioFileReader.Read(Mono16k).Samples);
    }

    [Fact]
    public void Stereo_44k_to_16k_matches_torchaudio_resample()
    {
        var clip = AudioFileReader.Read(Stereo44k, targetSampleRate: 16000);
        Assert.Equal(16000, clip.SampleRate);
        using var expected = AudioFixtures.Expected("whisper_encoder", "audio_44k_stereo_to_16k_mono");
        double maxAbs = AudioFixtures.MaxAbsDiff(clip.Samples, expected);
        output.WriteLine($"resample 44100 -> 16000: max abs diff {maxAbs:E3}");
        Assert.True(maxAbs <= 1e-4, $"max abs diff {maxAbs:E3} exceeds 1e-4");
    }

    [Fact]
    public void Stereo_44k_downmixes_to_three_quarters_of_the_16k_signal()
    {
        // The fixture's right channel is at half gain, so the channel mean is 0.75 of the 16 kHz signal
        // (left only would give 1.0, a sum 1.5). Least-squares gain, away from the edges.
        var native = AudioFileReader.Read(Stereo44k);
        Assert.Equal(44100, native.SampleRate);
        Assert.Equal(44100, native.Samples.Length);
        var resampled = AudioFileReader.Read(Stereo44k, 16000).Samples;
        var reference = AudioFileReader.Read(Mono16k).Samples;
        double dot = 0, norm = 0;
        for (int i = 100; i < reference.Length - 100; i++)
        {
            dot += resampled[i] * (double)reference[i];
            norm += reference[i] * (double)reference[i];
        }
        output.WriteLine($"gain of the resampled downmix against the 16 kHz file: {dot / norm:F4}");
        Assert.InRange(dot / norm, 0.74, 0.76);
    }
}
