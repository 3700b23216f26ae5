using MMAdapt.Encoders.Audio;
using Xunit;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>torchaudio's sinc_interp_hann resampling: kernel, lengths, gcd reduction and filtering.
/// (The fixture comparison is in <see cref="AudioFixtureTests"/>.)</summary>
public class ResamplerTests
{
    [Theory]
    [InlineData(44100, 44100, 16000, 16000)]
    [InlineData(10, 3, 1, 4)]          // ceil(10 / 3)
    [InlineData(1, 48000, 16000, 1)]
    [InlineData(7, 16000, 44100, 20)]  // ceil(7 * 441 / 160) = ceil(19.29)
    [InlineData(0, 22050, 16000, 0)]
    [InlineData(1000, 8000, 16000, 2000)]
    public void Output_length_is_ceil_of_n_times_new_over_orig(int n, int from, int to, int expected)
    {
        var samples = Enumerable.Range(0, n).Select(i => MathF.Sin(i * 0.1f)).ToArray();
        Assert.Equal(expected, Resampler.Resample(samples, from, to).Length);
    }

    [Fact]
    public void Equal_rates_return_a_copy()
    {
        float[] samples = [0.1f, -0.2f, 0.3f];
        var result = Resampler.Resample(samples, 16000, 16000);
        Assert.Equal(samples, result);
        Assert.NotSame(samples, result);
    }

    [Fact]
    public void Rates_are_reduced_by_their_gcd()
    {
        var samples = Enumerable.Range(0, 3000).Select(i => MathF.Sin(i * 0.05f) * 0.5f).ToArray();
        Assert.Equal(Resampler.Resample(samples, 3, 1), Resampler.Resample(samples, 48000, 16000));
        Assert.Equal(Resampler.Resample(samples, 160, 441), Resampler.Resample(samples, 16000, 44100));
    }

    [Fact]
    public void Kernel_matches_the_torchaudio_formula_tap_by_tap()
    {
        // 44100 -> 16000 reduces to 441 -> 160: base = 160 * 0.99, width = ceil(6 * 441 / 158.4) = 17.
        var (kernel, width) = Resampler.Kernel(441, 160, 6, 0.99);
        using var _ = kernel;
        Assert.Equal(17, width);
        Assert.Equal(new long[] { 160, 1, 2 * 17 + 441 }, kernel.shape);
        var taps = kernel.data<float>().ToArray();
        double baseFrequency = 160 * 0.99, maxError = 0;
        for (int i = 0; i < 160; i++)
            for (int j = -width; j < width + 441; j++)
            {
                double t = Math.Clamp((-(double)i / 160 + (double)j / 441) * baseFrequency, -6, 6);
                double window = Math.Pow(Math.Cos(t * Math.PI / 6 / 2), 2);
                double sinc = t == 0 ? 1 : Math.Sin(Math.PI * t) / (Math.PI * t);
                double expected = sinc * window * baseFrequency / 441;
                maxError = Math.Max(maxError, Math.Abs(taps[i * (2 * width + 441) + j + width] - expected));
            }
        Assert.True(maxError < 3e-8, $"max tap error {maxError:E2}");  // float32 rounding of taps up to 0.36
    }

    [Theory]
    [InlineData(44100, 16000)]
    [InlineData(16000, 44100)]
    [InlineData(48000, 16000)]
    [InlineData(8000, 16000)]
    public void A_tone_below_both_nyquists_is_preserved_away_from_the_edges(int from, int to)
    {
        const double frequency = 440.0;
        var input = Enumerable.Range(0, from / 10).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * frequency * i / from))).ToArray();
        var output = Resampler.Resample(input, from, to);
        double maxError = 0;
        for (int i = output.Length / 10; i < output.Length * 9 / 10; i++)
            maxError = Math.Max(maxError, Math.Abs(output[i] - 0.5 * Math.Sin(2 * Math.PI * frequency * i / to)));
        Assert.True(maxError < 2e-3, $"{from} -> {to}: max error {maxError:E2}");
    }

    [Fact]
    public void A_tone_above_the_new_nyquist_is_removed()
    {
        // 7 kHz at 44.1 kHz, resampled to 8 kHz (Nyquist 4 kHz): the low-pass filter removes it.
        var input = Enumerable.Range(0, 4410).Select(i => (float)Math.Sin(2 * Math.PI * 7000 * i / 44100)).ToArray();
        var output = Resampler.Resample(input, 44100, 8000);
        var middle = output[200..^200];
        Assert.True(middle.Max(Math.Abs) < 0.01, $"residual {middle.Max(Math.Abs):E2}");
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resample([1f], 0, 16000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resample([1f], 16000, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resample([1f], 16000, 8000, lowpassFilterWidth: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resample([1f], 16000, 8000, rolloff: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => AudioFileReader.Read("x.wav", targetSampleRate: 0));
    }

    [Fact]
    public void Clip_overload_keeps_the_source_and_sets_the_rate()
    {
        var clip = new AudioClip([0f, 0.5f, 1f, 0.5f], 8000, "clip.wav");
        var resampled = Resampler.Resample(clip, 16000);
        Assert.Equal(16000, resampled.SampleRate);
        Assert.Equal("clip.wav", resampled.Source);
        Assert.Equal(8, resampled.Samples.Length);
        Assert.Same(clip, Resampler.Resample(clip, 8000));
    }
}
