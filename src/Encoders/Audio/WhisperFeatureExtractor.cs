using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Audio;

/// <summary>
/// Whisper's audio front end: Hugging Face <c>WhisperFeatureExtractor</c> (its numpy path) on core torch ops.
/// </summary>
/// <remarks>
/// <para>Steps, for mono audio at <c>sampling_rate</c>:</para>
/// <list type="number">
/// <item>pad with <c>padding_value</c> or trim to <c>n_samples</c> (<c>chunk_length</c> seconds);</item>
/// <item>STFT with a periodic Hann window of <c>n_fft</c>, hop <c>hop_length</c>, centred (the signal
/// reflect-padded by <c>n_fft / 2</c> on both sides), one-sided: <c>[n_fft / 2 + 1, n_samples / hop + 1]</c>;</item>
/// <item>power <c>|X|^2</c>, and drop the last frame: <c>nb_max_frames</c> frames;</item>
/// <item>Slaney mel filters (<see cref="MelFilters"/>, 0 Hz to <c>sampling_rate / 2</c>, Slaney norm);</item>
/// <item><c>log10(max(mel, 1e-10))</c>, then <c>max(x, max(x) - 8)</c> over the whole spectrogram, then <c>(x + 4) / 4</c>.</item>
/// </list>
/// <para>Computed in float64 and returned as float32. The instance holds the window and filters; dispose
/// it to free them early.</para>
/// </remarks>
public sealed class WhisperFeatureExtractor : IDisposable
{
    private readonly Tensor window;       // [n_fft] float64, periodic Hann
    private readonly Tensor filters64;    // [n_mels, n_fft / 2 + 1] float64

    /// <summary>Builds the extractor (window and mel filters) for <paramref name="config"/>.</summary>
    /// <exception cref="InvalidDataException">The config is inconsistent (see <see cref="WhisperFeatureConfig.Validate"/>).</exception>
    public WhisperFeatureExtractor(WhisperFeatureConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate(nameof(WhisperFeatureConfig));
        Config = config;
        window = torch.hann_window(config.NFft, periodic: true, dtype: ScalarType.Float64);
        filters64 = MelFilterBank.Slaney(config.FrequencyBins, config.FeatureSize, 0.0, config.SamplingRate / 2.0, config.SamplingRate);
        MelFilters = filters64.to(ScalarType.Float32);
    }

    /// <summary>Loads <c>preprocessor_config.json</c> from a Hugging Face model folder.</summary>
    /// <exception cref="FileNotFoundException">The folder has no <c>preprocessor_config.json</c>.</exception>
    /// <exception cref="InvalidDataException">The config is not a valid Whisper feature extractor config; the message names the file.</exception>
    public static WhisperFeatureExtractor FromPretrained(string folder) =>
        new(WhisperFeatureConfig.Load(Path.Combine(folder, "preprocessor_config.json")));

    /// <summary>The configuration.</summary>
    public WhisperFeatureConfig Config { get; }

    /// <summary>Slaney mel filters, float32 <c>[feature_size, n_fft / 2 + 1]</c> (Hugging Face's <c>mel_filters</c> transposed).</summary>
    public Tensor MelFilters { get; }

    /// <summary>Computes the log-mel features of mono samples at <c>Config.SamplingRate</c>.</summary>
    /// <param name="samples">Any number of samples, including none; padded or trimmed to <c>n_samples</c>.</param>
    /// <returns>Float32 <c>[feature_size, nb_max_frames]</c>, on the CPU; the caller disposes it.</returns>
    public Tensor Extract(float[] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        using var scope = NewDisposeScope();
        var audio = torch.tensor(samples).to(ScalarType.Float64);                                   // [n]
        if (samples.Length > Config.NSamples)
            audio = audio.narrow(0, 0, Config.NSamples);                                            // [n_samples]: trimmed
        else if (samples.Length < Config.NSamples)
            audio = nn.functional.pad(audio, [0, Config.NSamples - samples.Length], PaddingModes.Constant, Config.PaddingValue);
        var spectrum = torch.stft(audio, Config.NFft, Config.HopLength, window: window, center: true,
            pad_mode: PaddingModes.Reflect, return_complex: true);                                   // [freq, n_samples / hop + 1]
        var power = spectrum.abs().square().narrow(1, 0, Config.NbMaxFrames);                      // [freq, frames]: last frame dropped
        var mel = filters64.matmul(power);                                                          // [mels, frames]
        var logMel = mel.clamp_min(1e-10).log10();
        logMel = torch.maximum(logMel, logMel.max() - 8.0);
        return ((logMel + 4.0) / 4.0).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Computes the log-mel features of a clip, which must be at <c>Config.SamplingRate</c>.</summary>
    /// <exception cref="ArgumentException">The clip has another sample rate; the message names the clip's source.</exception>
    public Tensor Extract(AudioClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        return Extract(clip.SamplesAt(Config.SamplingRate, "the Whisper feature extractor"));
    }

    /// <summary>
    /// Output frames that hold real audio, for trimming encoder outputs: the count of ones in Hugging
    /// Face's <c>attention_mask</c> (the sample mask, 1 for real samples, taken every <c>hop_length</c>
    /// samples), i.e. <c>min(ceil(sampleCount / hop_length), nb_max_frames)</c>. A frame counts when its
    /// centre sample is real audio; 0 for no samples.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sampleCount"/> is negative.</exception>
    public int ValidFrames(int sampleCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        long frames = ((long)Math.Min(sampleCount, Config.NSamples) + Config.HopLength - 1) / Config.HopLength;
        return (int)Math.Min(frames, Config.NbMaxFrames);
    }

    /// <summary>Frees the window and filters.</summary>
    public void Dispose()
    {
        window.Dispose();
        filters64.Dispose();
        MelFilters.Dispose();
    }
}
