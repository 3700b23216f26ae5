using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Audio;

/// <summary>
/// Band-limited resampling with a Hann-windowed sinc filter: torchaudio's
/// <c>torchaudio.functional.resample(waveform, orig_freq, new_freq)</c> with
/// <c>resampling_method="sinc_interp_hann"</c> (called <c>"sinc_interpolation"</c> before torchaudio 2.0),
/// the same kernel and padding, on core torch ops.
/// </summary>
/// <remarks>
/// <para>The rates are reduced by their gcd to <c>orig</c> and <c>new</c> (44100 -&gt; 16000 becomes
/// 441 -&gt; 160). With cutoff <c>base = min(orig, new) * rolloff</c> and half-width
/// <c>width = ceil(lowpassFilterWidth * orig / base)</c>, output phase <c>i</c> in [0, new) has the kernel
/// <c>k_i[j] = (base / orig) * sinc(pi * t) * cos(pi * t / (2 * lowpassFilterWidth))^2</c> over
/// <c>j = -width .. width + orig - 1</c>, where <c>t = clamp((j / orig - i / new) * base, -w, w)</c>
/// (<c>w = lowpassFilterWidth</c>) and <c>sinc(0) = 1</c>. The input is zero-padded by <c>width</c> on
/// the left and <c>width + orig</c> on the right, convolved with the <c>new</c> kernels at stride
/// <c>orig</c> (one <c>conv1d</c>), the phases interleaved, and the result cut to
/// <c>ceil(n * new / orig)</c> samples. Kernels are computed in float64 and applied in float32.</para>
/// <para>Cost: the kernel has <c>new * (2 * width + orig)</c> taps, so rates whose gcd is small (44100 -&gt;
/// 16001) build a very large kernel, as in torchaudio.</para>
/// </remarks>
public static class Resampler
{
    /// <summary>Resamples <paramref name="samples"/> from <paramref name="fromRate"/> to <paramref name="toRate"/> Hz.</summary>
    /// <param name="samples">Mono samples.</param>
    /// <param name="fromRate">Their sample rate, positive.</param>
    /// <param name="toRate">The wanted sample rate, positive.</param>
    /// <param name="lowpassFilterWidth">Zero crossings of the sinc on each side (sharper filter when larger); torchaudio's default 6.</param>
    /// <param name="rolloff">Cutoff as a fraction of the lower Nyquist frequency, in (0, 1]; torchaudio's default 0.99.</param>
    /// <returns>A new array of <c>ceil(samples.Length * toRate / fromRate)</c> samples (computed on the
    /// gcd-reduced rates); a copy when the rates are equal.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A rate or the filter width is not positive, or rolloff is outside (0, 1].</exception>
    public static float[] Resample(float[] samples, int fromRate, int toRate, int lowpassFilterWidth = 6, double rolloff = 0.99)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lowpassFilterWidth);
        if (!(rolloff > 0 && rolloff <= 1))
            throw new ArgumentOutOfRangeException(nameof(rolloff), rolloff, "rolloff must be in (0, 1].");
        if (fromRate == toRate)
            return (float[])samples.Clone();

        int gcd = Gcd(fromRate, toRate);
        int orig = fromRate / gcd, next = toRate / gcd;
        long outputLength = ((long)samples.Length * next + orig - 1) / orig;  // ceil(n * new / orig)
        if (samples.Length == 0)
            return [];

        using var scope = NewDisposeScope();
        var (kernel, width) = Kernel(orig, next, lowpassFilterWidth, rolloff);       // [new, 1, 2 * width + orig]
        var input = torch.tensor(samples).view(1, 1, -1);                      // [1, 1, n]
        var padded = nn.functional.pad(input, [width, width + orig]);          // [1, 1, n + 2 * width + orig]
        var phases = nn.functional.conv1d(padded, kernel, stride: orig);      // [1, new, frames], frames = n / orig + 1
        var interleaved = phases.transpose(1, 2).reshape(-1);                  // [frames * new]: output sample f * new + i
        return interleaved.narrow(0, 0, outputLength).contiguous().data<float>().ToArray();
    }

    /// <summary>Resamples a clip; the same clip when it already has <paramref name="toRate"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="toRate"/> is not positive.</exception>
    public static AudioClip Resample(AudioClip clip, int toRate)
    {
        ArgumentNullException.ThrowIfNull(clip);
        return clip.SampleRate == toRate ? clip : clip with { Samples = Resample(clip.Samples, clip.SampleRate, toRate), SampleRate = toRate };
    }

    /// <summary>The <c>new</c> phase kernels, float32 <c>[new, 1, 2 * width + orig]</c>, and <c>width</c>.</summary>
    internal static (Tensor Kernel, int Width) Kernel(int orig, int next, int lowpassFilterWidth, double rolloff)
    {
        using var scope = NewDisposeScope();
        double baseFrequency = Math.Min(orig, next) * rolloff;
        int width = (int)Math.Ceiling(lowpassFilterWidth * orig / baseFrequency);
        var taps = torch.arange(-width, width + orig, dtype: ScalarType.Float64) / orig;           // [taps]: j / orig
        var phase = torch.arange(0, next, dtype: ScalarType.Float64).unsqueeze(1) / next;         // [new, 1]: i / new
        var t = ((taps.unsqueeze(0) - phase) * baseFrequency).clamp(-lowpassFilterWidth, lowpassFilterWidth);  // [new, taps]
        var window = torch.cos(t * (Math.PI / lowpassFilterWidth / 2)).square();
        var x = t * Math.PI;
        var sinc = torch.where(x == 0, torch.ones_like(x), torch.sin(x) / x);
        var kernel = (sinc * window * (baseFrequency / orig)).to(ScalarType.Float32).unsqueeze(1);  // [new, 1, taps]
        return (kernel.MoveToOuterDisposeScope(), width);
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }
}
