using System.Text.Json.Serialization;
using MMAdapt.Core.Configuration;

namespace MMAdapt.Encoders.Audio;

/// <summary>
/// The <c>preprocessor_config.json</c> of a Hugging Face <c>WhisperFeatureExtractor</c>: how raw 16 kHz
/// audio becomes the log-mel spectrogram a Whisper encoder reads.
/// </summary>
/// <remarks>
/// As in Hugging Face, <see cref="NSamples"/> and <see cref="NbMaxFrames"/> follow from
/// <c>chunk_length</c>, <c>sampling_rate</c> and <c>hop_length</c>; the JSON's <c>n_samples</c> and
/// <c>nb_max_frames</c> are checked against them, and a contradiction is an error rather than silently
/// ignored.
/// </remarks>
public sealed record WhisperFeatureConfig
{
    /// <summary>The extractor class this config is for.</summary>
    public const string ExtractorType = "WhisperFeatureExtractor";

    /// <summary><c>feature_extractor_type</c>: WhisperFeatureExtractor (null when absent).</summary>
    [JsonPropertyName("feature_extractor_type")] public string? FeatureExtractorType { get; init; }
    /// <summary><c>feature_size</c>: mel bins, 80 (Whisper v1/v2) or 128 (large-v3).</summary>
    [JsonPropertyName("feature_size")] public int FeatureSize { get; init; } = 80;
    /// <summary><c>sampling_rate</c>: the audio rate the extractor expects, Hz.</summary>
    [JsonPropertyName("sampling_rate")] public int SamplingRate { get; init; } = 16000;
    /// <summary><c>n_fft</c>: FFT and (periodic Hann) window length in samples.</summary>
    [JsonPropertyName("n_fft")] public int NFft { get; init; } = 400;
    /// <summary><c>hop_length</c>: samples between frames.</summary>
    [JsonPropertyName("hop_length")] public int HopLength { get; init; } = 160;
    /// <summary><c>chunk_length</c>: seconds every input is padded or trimmed to (30 for Whisper).</summary>
    [JsonPropertyName("chunk_length")] public int ChunkLength { get; init; } = 30;
    /// <summary><c>n_samples</c> as written in the JSON (null when absent); see <see cref="NSamples"/>.</summary>
    [JsonPropertyName("n_samples")] public int? NSamplesSetting { get; init; }
    /// <summary><c>nb_max_frames</c> as written in the JSON (null when absent); see <see cref="NbMaxFrames"/>.</summary>
    [JsonPropertyName("nb_max_frames")] public int? NbMaxFramesSetting { get; init; }
    /// <summary><c>padding_value</c>: the sample value audio is padded with up to <see cref="NSamples"/>.</summary>
    [JsonPropertyName("padding_value")] public double PaddingValue { get; init; }
    /// <summary><c>return_attention_mask</c>: recorded; <see cref="WhisperFeatureExtractor.ValidFrames"/> gives the same count.</summary>
    [JsonPropertyName("return_attention_mask")] public bool ReturnAttentionMask { get; init; }
    /// <summary><c>dither</c> (newer Hugging Face versions): must be 0; random dithering is not supported.</summary>
    [JsonPropertyName("dither")] public double Dither { get; init; }

    /// <summary>Samples every input is padded or trimmed to: <c>chunk_length * sampling_rate</c>.</summary>
    [JsonIgnore] public int NSamples => ChunkLength * SamplingRate;
    /// <summary>Frames of the log-mel output: <c>n_samples / hop_length</c>.</summary>
    [JsonIgnore] public int NbMaxFrames => NSamples / HopLength;
    /// <summary>Frequency bins of the one-sided spectrum: <c>n_fft / 2 + 1</c>.</summary>
    [JsonIgnore] public int FrequencyBins => NFft / 2 + 1;

    /// <summary>Reads and validates a <c>preprocessor_config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Bad JSON, another extractor type, or inconsistent values; the
    /// message names the file and the key.</exception>
    public static WhisperFeatureConfig Load(string path)
    {
        var config = HfConfigReader.Read<WhisperFeatureConfig>(path);
        config.Validate(path);
        return config;
    }

    /// <summary>Checks the values fit together; <paramref name="source"/> names the config in messages.</summary>
    /// <exception cref="InvalidDataException">A value is out of range or contradicts another.</exception>
    public void Validate(string source)
    {
        if (FeatureExtractorType is { } type && type != ExtractorType)
            throw new InvalidDataException($"{source}: feature_extractor_type is '{type}', expected '{ExtractorType}'.");
        void Positive(string key, long value)
        {
            if (value <= 0)
                throw new InvalidDataException($"{source}: {key} must be positive, got {value}.");
        }
        Positive("feature_size", FeatureSize);
        Positive("sampling_rate", SamplingRate);
        Positive("n_fft", NFft);
        Positive("hop_length", HopLength);
        Positive("chunk_length", ChunkLength);
        if ((long)ChunkLength * SamplingRate > Array.MaxLength)
            throw new InvalidDataException($"{source}: chunk_length {ChunkLength} s at {SamplingRate} Hz is too many samples.");
        if (NSamplesSetting is { } n && n != NSamples)
            throw new InvalidDataException($"{source}: n_samples is {n}, expected chunk_length * sampling_rate = {ChunkLength} * {SamplingRate} = {NSamples}.");
        if (NbMaxFramesSetting is { } frames && frames != NbMaxFrames)
            throw new InvalidDataException($"{source}: nb_max_frames is {frames}, expected n_samples / hop_length = {NSamples} / {HopLength} = {NbMaxFrames}.");
        if (NSamples <= NFft / 2)
            throw new InvalidDataException($"{source}: n_samples {NSamples} must exceed n_fft / 2 = {NFft / 2} for the reflect-padded STFT.");
        if (Dither != 0)
            throw new InvalidDataException($"{source}: dither {Dither} is not supported; expected 0 (deterministic features).");
    }
}
