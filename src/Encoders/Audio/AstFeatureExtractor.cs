using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Audio;

/// <summary>
/// The Audio Spectrogram Transformer's front end: Hugging Face <c>ASTFeatureExtractor</c> (its torchaudio
/// path) on core torch ops.
/// </summary>
/// <remarks>
/// <c>fbank = kaldi.fbank(waveform, htk_compat=True, sample_frequency=sampling_rate, use_energy=False,
/// window_type='hanning', num_mel_bins=num_mel_bins, dither=0.0, frame_shift=10)</c>
/// (<see cref="KaldiFbank"/> with <see cref="KaldiFbankOptions.AudioSpectrogramTransformer"/>), zero-padded
/// at the end or trimmed to <c>max_length</c> frames, then <c>(x - mean) / (2 std)</c> when
/// <c>do_normalize</c> (padding frames are normalised too). The waveform is used as given, in [-1, 1].
/// </remarks>
public sealed class AstFeatureExtractor
{
    /// <summary>Creates the extractor for <paramref name="config"/>.</summary>
    /// <exception cref="InvalidDataException">The config is out of range (see <see cref="AstFeatureConfig.Validate"/>).</exception>
    public AstFeatureExtractor(AstFeatureConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate(nameof(AstFeatureConfig));
        Config = config;
    }

    /// <summary>Loads <c>preprocessor_config.json</c> from a Hugging Face model folder.</summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>preprocessor_config.json</c>.</exception>
    /// <exception cref="InvalidDataException">The config is not a valid AST feature extractor config; the message names the file.</exception>
    public static AstFeatureExtractor FromPretrained(string folder) =>
        new(AstFeatureConfig.Load(Path.Combine(folder, "preprocessor_config.json")));

    /// <summary>The configuration.</summary>
    public AstFeatureConfig Config { get; }

    /// <summary>Computes the normalised fbank features of mono samples at <c>Config.SamplingRate</c>.</summary>
    /// <param name="samples">Any number of samples; fewer than one 25 ms frame gives all-padding features.</param>
    /// <returns>Float32 <c>[max_length, num_mel_bins]</c> on the CPU; the caller disposes it.</returns>
    public Tensor Extract(float[] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        using var scope = NewDisposeScope();
        var fbank = KaldiFbank.Compute(samples, Config.SamplingRate, Config.NumMelBins, KaldiFbankOptions.AudioSpectrogramTransformer);  // [frames, bins]
        long frames = fbank.shape[0];
        if (frames > Config.MaxLength)
            fbank = fbank.narrow(0, 0, Config.MaxLength);
        else if (frames < Config.MaxLength)
            fbank = nn.functional.pad(fbank, [0, 0, 0, Config.MaxLength - frames]);                 // [max_length, bins]: zero frames appended
        if (Config.DoNormalize)
            fbank = (fbank - (float)Config.Mean) / (float)(Config.Std * 2);
        return fbank.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Computes the features of a clip, which must be at <c>Config.SamplingRate</c>.</summary>
    /// <exception cref="ArgumentException">The clip has another sample rate; the message names the clip's source.</exception>
    public Tensor Extract(AudioClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        return Extract(clip.SamplesAt(Config.SamplingRate, "the AST feature extractor"));
    }

    /// <summary>Frames of real audio before padding: <c>min(kaldi frames, max_length)</c>, with
    /// <c>1 + (n - 400) / 160</c> Kaldi frames at 16 kHz (0 when shorter than one frame).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sampleCount"/> is negative.</exception>
    public int ValidFrames(int sampleCount) =>
        Math.Min(KaldiFbank.FrameCount(sampleCount, Config.SamplingRate, KaldiFbankOptions.AudioSpectrogramTransformer), Config.MaxLength);
}
