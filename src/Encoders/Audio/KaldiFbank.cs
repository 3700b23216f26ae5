using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Audio;

/// <summary>
/// Kaldi-compatible log mel filter bank features: <c>torchaudio.compliance.kaldi.fbank</c> (Kaldi's
/// <c>compute-fbank-feats</c>) on core torch ops, as AST's front end uses them.
/// </summary>
/// <remarks>
/// <para>Per frame of <c>frame_length</c> ms every <c>frame_shift</c> ms (400 and 160 samples at 16 kHz):
/// subtract the frame's mean; pre-emphasis <c>y[i] = x[i] - 0.97 x[i - 1]</c> (<c>y[0] = x[0] - 0.97 x[0]</c>);
/// multiply by the window (AST: symmetric Hann); zero-pad to the next power of two (512); power spectrum
/// <c>|rfft|^2</c>; Kaldi mel banks (<see cref="MelFilterBank.Kaldi"/>, 20 Hz to Nyquist by default);
/// <c>ln(max(e, float32 epsilon))</c>. Samples are used as given (AST passes audio in [-1, 1]; Kaldi
/// itself reads 16-bit integers, which scales every log energy by <c>ln 32768^2</c>).</para>
/// <para>Frames are cut with <c>unfold</c> and every step is a tensor op over all frames at once. Computed
/// in float32, as torchaudio does for float32 audio.</para>
/// </remarks>
public static class KaldiFbank
{
    /// <summary>float32 machine epsilon, Kaldi's floor for energies before the log.</summary>
    public const double Epsilon = 1.1920928955078125e-07;

    /// <summary>Computes the features of mono <paramref name="samples"/>.</summary>
    /// <param name="samples">Mono samples at <paramref name="sampleRate"/>.</param>
    /// <param name="sampleRate">Their rate in Hz (<c>sample_frequency</c>).</param>
    /// <param name="numMelBins">Mel bins (<c>num_mel_bins</c>), more than 3.</param>
    /// <param name="options">Everything else; Kaldi's defaults (with no dither) when null.</param>
    /// <returns>Float32 <c>[frames, numMelBins]</c> (<c>numMelBins + 1</c> columns with
    /// <see cref="KaldiFbankOptions.UseEnergy"/>). Audio shorter than one frame gives zero frames
    /// (torchaudio raises instead).</returns>
    /// <exception cref="ArgumentException">Dither is not 0, or the frame sizes, pre-emphasis or mel
    /// frequencies are out of range.</exception>
    public static Tensor Compute(float[] samples, int sampleRate, int numMelBins, KaldiFbankOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new KaldiFbankOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        if (options.Dither != 0)
            throw new ArgumentException($"dither {options.Dither} is not supported; use 0 (deterministic features).", nameof(options));
        if (!(options.PreemphasisCoefficient is >= 0 and <= 1))
            throw new ArgumentException($"preemphasis coefficient {options.PreemphasisCoefficient} must be in [0, 1].", nameof(options));
        var (windowSize, windowShift) = FrameSizes(sampleRate, options);
        int paddedSize = options.RoundToPowerOfTwo ? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)windowSize) : windowSize;
        if (paddedSize % 2 != 0)
            throw new ArgumentException($"the FFT length {paddedSize} must be even; use RoundToPowerOfTwo or another frame length.", nameof(options));
        using var banks64 = MelFilterBank.Kaldi(numMelBins, paddedSize, sampleRate, options.LowFreq, options.HighFreq);  // [bins, padded / 2 + 1]

        int columns = numMelBins + (options.UseEnergy ? 1 : 0);
        if (samples.Length < windowSize)
            return torch.zeros(0, columns, dtype: ScalarType.Float32);

        using var scope = NewDisposeScope();
        var frames = Frames(torch.tensor(samples), samples.Length, windowSize, windowShift, options.SnipEdges);  // [m, window]
        if (options.RemoveDcOffset)
            frames = frames - frames.mean([1], keepdim: true);
        Tensor? logEnergy = null;
        if (options.UseEnergy && options.RawEnergy)
            logEnergy = LogEnergy(frames, options.EnergyFloor);                                     // [m]
        if (options.PreemphasisCoefficient != 0)
        {
            var previous = torch.cat([frames.narrow(1, 0, 1), frames.narrow(1, 0, windowSize - 1)], 1);  // [m, window]: x[max(0, i - 1)]
            frames = frames - options.PreemphasisCoefficient * previous;
        }
        frames = frames * Window(options.WindowType, windowSize, options.BlackmanCoeff);           // [m, window]
        if (paddedSize != windowSize)
            frames = nn.functional.pad(frames, [0, paddedSize - windowSize]);                        // [m, padded]
        if (options.UseEnergy && !options.RawEnergy)
            logEnergy = LogEnergy(frames, options.EnergyFloor);

        var spectrum = torch.fft.rfft(frames, dim: 1).abs();                                       // [m, padded / 2 + 1]
        if (options.UsePower)
            spectrum = spectrum.square();
        var mel = spectrum.matmul(banks64.to(ScalarType.Float32).t());                              // [m, bins]
        if (options.UseLogFbank)
            mel = mel.clamp_min(Epsilon).log();
        if (logEnergy is not null)
        {
            var energy = logEnergy.unsqueeze(1);                                                    // [m, 1]
            mel = options.HtkCompat ? torch.cat([mel, energy], 1) : torch.cat([energy, mel], 1);  // [m, bins + 1]
        }
        if (options.SubtractMean)
            mel = mel - mel.mean([0], keepdim: true);
        return mel.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Frames <see cref="Compute"/> returns for <paramref name="sampleCount"/> samples: with
    /// <c>snip_edges</c>, <c>1 + (n - length) / shift</c> (0 when shorter than one frame), else
    /// <c>(n + shift / 2) / shift</c>; lengths in samples, e.g. 400 and 160 at 16 kHz.</summary>
    /// <exception cref="ArgumentException">The frame sizes are out of range.</exception>
    public static int FrameCount(int sampleCount, int sampleRate, KaldiFbankOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        options ??= new KaldiFbankOptions();
        var (windowSize, windowShift) = FrameSizes(sampleRate, options);
        if (sampleCount < windowSize)
            return 0;
        return options.SnipEdges ? 1 + (sampleCount - windowSize) / windowShift : (sampleCount + windowShift / 2) / windowShift;
    }

    // Frame length and shift in samples, by the same expressions as torchaudio so that the truncation agrees.
    private static (int Size, int Shift) FrameSizes(int sampleRate, KaldiFbankOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        int windowShift = (int)(sampleRate * options.FrameShiftMs * 0.001);
        int windowSize = (int)(sampleRate * options.FrameLengthMs * 0.001);
        if (windowSize < 2 || windowShift < 1)
            throw new ArgumentException($"frame length {options.FrameLengthMs} ms and shift {options.FrameShiftMs} ms at {sampleRate} Hz give {windowSize} and {windowShift} samples; expected at least 2 and 1.", nameof(options));
        return (windowSize, windowShift);
    }

    // [m, window] frames: snip_edges keeps the 1 + (n - window) / shift frames that fit; otherwise
    // (n + shift / 2) / shift frames over the signal mirrored at both ends (x[1], x[0] | x | x[n-1], x[n-2] ...).
    private static Tensor Frames(Tensor waveform, int n, int windowSize, int windowShift, bool snipEdges)
    {
        if (snipEdges)
            return waveform.unfold(0, windowSize, windowShift);
        int count = (n + windowShift / 2) / windowShift;
        int pad = windowSize / 2 - windowShift / 2;
        var reversed = waveform.flip(0);
        var extended = pad > 0
            ? torch.cat([reversed.narrow(0, n - pad, pad), waveform, reversed], 0)
            : torch.cat([waveform.narrow(0, -pad, n + pad), reversed], 0);
        return extended.unfold(0, windowSize, windowShift).narrow(0, 0, count);
    }

    private static Tensor LogEnergy(Tensor frames, double energyFloor)
    {
        var logEnergy = frames.square().sum(1).clamp_min(Epsilon).log();                           // [m]
        return energyFloor == 0 ? logEnergy : logEnergy.clamp_min(Math.Log(energyFloor));
    }

    /// <summary>The analysis window, float32 <c>[size]</c>, as torchaudio builds it (symmetric).</summary>
    internal static Tensor Window(KaldiWindowType type, int size, double blackmanCoeff)
    {
        var n = torch.arange(size, dtype: ScalarType.Float64);
        double a = 2 * Math.PI / (size - 1);
        var window = type switch
        {
            KaldiWindowType.Hanning => 0.5 - 0.5 * torch.cos(a * n),
            KaldiWindowType.Hamming => 0.54 - 0.46 * torch.cos(a * n),
            KaldiWindowType.Povey => (0.5 - 0.5 * torch.cos(a * n)).pow(0.85),
            KaldiWindowType.Rectangular => torch.ones(size, dtype: ScalarType.Float64),
            KaldiWindowType.Blackman => blackmanCoeff - 0.5 * torch.cos(a * n) + (0.5 - blackmanCoeff) * torch.cos(2 * a * n),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown Kaldi window type."),
        };
        return window.to(ScalarType.Float32);
    }
}
