namespace MMAdapt.Encoders.Audio;

/// <summary>The analysis windows of Kaldi's feature extraction.</summary>
public enum KaldiWindowType
{
    /// <summary><c>hamming</c>: <c>0.54 - 0.46 cos(2 pi n / (N - 1))</c>.</summary>
    Hamming,
    /// <summary><c>hanning</c>: symmetric Hann, <c>0.5 - 0.5 cos(2 pi n / (N - 1))</c> (AST uses this).</summary>
    Hanning,
    /// <summary><c>povey</c> (Kaldi's default): symmetric Hann raised to the power 0.85.</summary>
    Povey,
    /// <summary><c>rectangular</c>: all ones.</summary>
    Rectangular,
    /// <summary><c>blackman</c>: <c>b - 0.5 cos(2 pi n / (N - 1)) + (0.5 - b) cos(4 pi n / (N - 1))</c>, b = <see cref="KaldiFbankOptions.BlackmanCoeff"/>.</summary>
    Blackman,
}

/// <summary>
/// Options of <see cref="KaldiFbank.Compute"/>, named after <c>torchaudio.compliance.kaldi.fbank</c>'s
/// arguments (Kaldi's <c>compute-fbank-feats</c>), with the same defaults except <see cref="Dither"/>, which
/// is 0 here (only 0 is supported, so features are deterministic). VTLN warping is not supported.
/// </summary>
public sealed record KaldiFbankOptions
{
    /// <summary>The options Hugging Face's <c>ASTFeatureExtractor</c> passes: Hann window, 10 ms shift,
    /// <c>htk_compat</c>, no energy, no dither (the rest are Kaldi's defaults).</summary>
    public static KaldiFbankOptions AudioSpectrogramTransformer { get; } = new()
    {
        WindowType = KaldiWindowType.Hanning,
        FrameShiftMs = 10.0,
        HtkCompat = true,
        UseEnergy = false,
    };

    /// <summary><c>frame_length</c>: window length in milliseconds (25 ms is 400 samples at 16 kHz).</summary>
    public double FrameLengthMs { get; init; } = 25.0;
    /// <summary><c>frame_shift</c>: hop in milliseconds (10 ms is 160 samples at 16 kHz).</summary>
    public double FrameShiftMs { get; init; } = 10.0;
    /// <summary><c>dither</c>: only 0 is supported (torchaudio's default is 1).</summary>
    public double Dither { get; init; }
    /// <summary><c>preemphasis_coefficient</c>: <c>x[i] -= c * x[i - 1]</c> per frame (the first sample uses itself), in [0, 1].</summary>
    public double PreemphasisCoefficient { get; init; } = 0.97;
    /// <summary><c>remove_dc_offset</c>: subtract each frame's mean first.</summary>
    public bool RemoveDcOffset { get; init; } = true;
    /// <summary><c>window_type</c>.</summary>
    public KaldiWindowType WindowType { get; init; } = KaldiWindowType.Povey;
    /// <summary><c>blackman_coeff</c>, for <see cref="KaldiWindowType.Blackman"/>.</summary>
    public double BlackmanCoeff { get; init; } = 0.42;
    /// <summary><c>round_to_power_of_two</c>: zero-pad each frame to the next power of two before the FFT.</summary>
    public bool RoundToPowerOfTwo { get; init; } = true;
    /// <summary><c>snip_edges</c>: only frames that fit wholly in the signal (<c>1 + (n - length) / shift</c> of
    /// them); when false, <c>(n + shift / 2) / shift</c> frames over a signal mirrored at both ends.</summary>
    public bool SnipEdges { get; init; } = true;
    /// <summary><c>low_freq</c>: low edge of the mel bins, Hz.</summary>
    public double LowFreq { get; init; } = 20.0;
    /// <summary><c>high_freq</c>: high edge of the mel bins, Hz; zero or negative counts back from Nyquist.</summary>
    public double HighFreq { get; init; }
    /// <summary><c>use_energy</c>: add the log energy as an extra column (first, or last with <see cref="HtkCompat"/>).</summary>
    public bool UseEnergy { get; init; }
    /// <summary><c>raw_energy</c>: energy measured before pre-emphasis and windowing.</summary>
    public bool RawEnergy { get; init; } = true;
    /// <summary><c>energy_floor</c>: floor on the energy, absolute (0: none).</summary>
    public double EnergyFloor { get; init; }
    /// <summary><c>htk_compat</c>: put the energy column last (no effect without <see cref="UseEnergy"/>).</summary>
    public bool HtkCompat { get; init; }
    /// <summary><c>use_log_fbank</c>: log of the mel energies (floored at float32 epsilon), else linear.</summary>
    public bool UseLogFbank { get; init; } = true;
    /// <summary><c>use_power</c>: power spectrum, else magnitude.</summary>
    public bool UsePower { get; init; } = true;
    /// <summary><c>subtract_mean</c>: subtract each column's mean over the frames.</summary>
    public bool SubtractMean { get; init; }
}
