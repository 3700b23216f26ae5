using MMAdapt.Encoders.Audio;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>Kaldi fbank options beyond AST's, and the pieces (window, mel banks) against their formulas.
/// (The fixture comparison is in <see cref="AstFeatureExtractorTests"/>.)</summary>
public class KaldiFbankTests
{
    private static readonly float[] Tone = Enumerable.Range(0, 4000)
        .Select(i => (float)(0.3 * Math.Sin(2 * Math.PI * 700 * i / 16000) + 0.1 * Math.Sin(2 * Math.PI * 2500 * i / 16000) + 0.05)).ToArray();

    [Fact]
    public void Kaldi_mel_banks_follow_the_formula()
    {
        // 23 bins (Kaldi's default) over 20 Hz .. 8 kHz, 512-point FFT.
        using var banks = MelFilterBank.Kaldi(23, 512, 16000, 20, 0);
        Assert.Equal(new long[] { 23, 257 }, banks.shape);
        var values = banks.data<double>().ToArray();
        double melLow = MelFilterBank.KaldiMel(20), melHigh = MelFilterBank.KaldiMel(8000);
        double delta = (melHigh - melLow) / 24;
        double maxError = 0;
        for (int m = 0; m < 23; m++)
            for (int k = 0; k < 257; k++)
            {
                double mel = 1127 * Math.Log(1 + k * 16000.0 / 512 / 700);
                double left = melLow + m * delta, center = left + delta, right = center + delta;
                double expected = k == 256 ? 0 : Math.Max(0, Math.Min((mel - left) / (center - left), (right - mel) / (right - center)));
                maxError = Math.Max(maxError, Math.Abs(values[m * 257 + k] - expected));
            }
        Assert.True(maxError < 1e-12, $"max error {maxError:E2}");
    }

    [Theory]
    [InlineData(KaldiWindowType.Hanning)]
    [InlineData(KaldiWindowType.Hamming)]
    [InlineData(KaldiWindowType.Povey)]
    [InlineData(KaldiWindowType.Blackman)]
    [InlineData(KaldiWindowType.Rectangular)]
    public void Windows_are_symmetric_and_follow_their_formulas(KaldiWindowType type)
    {
        using var window = KaldiFbank.Window(type, 400, 0.42);
        var w = window.data<float>().ToArray();
        for (int n = 0; n < 400; n++)
        {
            double c = Math.Cos(2 * Math.PI * n / 399);
            double expected = type switch
            {
                KaldiWindowType.Hanning => 0.5 - 0.5 * c,
                KaldiWindowType.Hamming => 0.54 - 0.46 * c,
                KaldiWindowType.Povey => Math.Pow(0.5 - 0.5 * c, 0.85),
                KaldiWindowType.Blackman => 0.42 - 0.5 * c + 0.08 * Math.Cos(4 * Math.PI * n / 399),
                _ => 1.0,
            };
            Assert.True(Math.Abs(w[n] - expected) < 1e-6, $"{type}[{n}] = {w[n]}, expected {expected}");
            Assert.Equal(w[n], w[399 - n], 6);
        }
    }

    [Fact]
    public void Energy_column_is_first_or_last_with_htk_compat()
    {
        var plain = new KaldiFbankOptions { WindowType = KaldiWindowType.Hanning };
        using var fbank = KaldiFbank.Compute(Tone, 16000, 23, plain);
        using var energyFirst = KaldiFbank.Compute(Tone, 16000, 23, plain with { UseEnergy = true });
        using var energyLast = KaldiFbank.Compute(Tone, 16000, 23, plain with { UseEnergy = true, HtkCompat = true });
        Assert.Equal(new long[] { 23, 24, 24 }, new[] { fbank.shape[1], energyFirst.shape[1], energyLast.shape[1] });
        Assert.True(energyFirst.narrow(1, 1, 23).eq(fbank).all().item<bool>());
        Assert.True(energyLast.narrow(1, 0, 23).eq(fbank).all().item<bool>());
        Assert.True(energyLast.narrow(1, 23, 1).eq(energyFirst.narrow(1, 0, 1)).all().item<bool>());

        // Raw energy of frame 0: log of the sum of squares after removing the DC offset, before pre-emphasis.
        double mean = Tone[..400].Average(v => (double)v);
        double energy = Math.Log(Tone[..400].Sum(v => (v - mean) * (v - mean)));
        Assert.Equal(energy, energyFirst[0, 0].item<float>(), 4);
    }

    [Fact]
    public void Frame_counts_with_and_without_snip_edges()
    {
        var snip = new KaldiFbankOptions();
        var mirrored = snip with { SnipEdges = false };
        using var a = KaldiFbank.Compute(Tone, 16000, 23, snip);
        using var b = KaldiFbank.Compute(Tone, 16000, 23, mirrored);
        Assert.Equal(1 + (4000 - 400) / 160, a.shape[0]);
        Assert.Equal((4000 + 80) / 160, b.shape[0]);
        Assert.Equal(a.shape[0], KaldiFbank.FrameCount(4000, 16000, snip));
        Assert.Equal(b.shape[0], KaldiFbank.FrameCount(4000, 16000, mirrored));
        Assert.True(b.isfinite().all().item<bool>());
    }

    [Fact]
    public void Subtract_mean_centres_every_column()
    {
        using var fbank = KaldiFbank.Compute(Tone, 16000, 23, new KaldiFbankOptions { SubtractMean = true });
        Assert.True(fbank.mean([0]).abs().max().item<float>() < 1e-4);
    }

    [Fact]
    public void Linear_fbank_is_the_exp_of_the_log_fbank()
    {
        // use_log_fbank = false and use_power = false give linear magnitude sums; they are finite and positive.
        using var linear = KaldiFbank.Compute(Tone, 16000, 23, new KaldiFbankOptions { UseLogFbank = false, UsePower = false });
        Assert.True(linear.min().item<float>() >= 0);
        using var log = KaldiFbank.Compute(Tone, 16000, 23, new KaldiFbankOptions { UseLogFbank = true, UsePower = false });
        Assert.True((linear.clamp_min(KaldiFbank.Epsilon).log() - log).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Bad_options_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => KaldiFbank.Compute(Tone, 16000, 23, new KaldiFbankOptions { Dither = 1.0 }));
        Assert.Throws<ArgumentException>(() => KaldiFbank.Compute(Tone, 16000, 23, new KaldiFbankOptions { PreemphasisCoefficient = 1.5 }));
        Assert.Throws<ArgumentException>(() => KaldiFbank.Compute(Tone, 16000, 23, new KaldiFbankOptions { FrameLengthMs = 0.01 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => KaldiFbank.Compute(Tone, 16000, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => KaldiFbank.Compute(Tone, 16000, 23, new KaldiFbankOptions { LowFreq = 9000 }));
    }
}
