using System.Text.Json.Serialization;
using MMAdapt.Core.Configuration;

namespace MMAdapt.Encoders.Audio;

/// <summary>
/// The <c>preprocessor_config.json</c> of a Hugging Face <c>ASTFeatureExtractor</c> (Audio Spectrogram
/// Transformer, Gong et al. 2021): Kaldi fbank settings, the fixed frame count and the normalisation.
/// </summary>
public sealed record AstFeatureConfig
{
    /// <summary>The extractor class this config is for.</summary>
    public const string ExtractorType = "ASTFeatureExtractor";

    /// <summary><c>feature_extractor_type</c>: ASTFeatureExtractor (null when absent).</summary>
    [JsonPropertyName("feature_extractor_type")] public string? FeatureExtractorType { get; init; }
    /// <summary><c>feature_size</c>: 1 (mono audio in); recorded only.</summary>
    [JsonPropertyName("feature_size")] public int FeatureSize { get; init; } = 1;
    /// <summary><c>sampling_rate</c>: the audio rate the extractor expects, Hz (Kaldi's <c>sample_frequency</c>).</summary>
    [JsonPropertyName("sampling_rate")] public int SamplingRate { get; init; } = 16000;
    /// <summary><c>num_mel_bins</c>: mel bins per frame, more than 3.</summary>
    [JsonPropertyName("num_mel_bins")] public int NumMelBins { get; init; } = 128;
    /// <summary><c>max_length</c>: frames every input is padded or trimmed to (1024 is 10.24 s).</summary>
    [JsonPropertyName("max_length")] public int MaxLength { get; init; } = 1024;
    /// <summary><c>padding_value</c>: recorded only. Hugging Face's extractor pads the fbank frames with zeros
    /// (<c>ZeroPad2d</c>) before normalising, whatever this says, and so does <see cref="AstFeatureExtractor"/>.</summary>
    [JsonPropertyName("padding_value")] public double PaddingValue { get; init; }
    /// <summary><c>do_normalize</c>: apply <c>(x - mean) / (2 std)</c>.</summary>
    [JsonPropertyName("do_normalize")] public bool DoNormalize { get; init; } = true;
    /// <summary><c>mean</c>: the dataset mean of the fbank values (AudioSet: -4.2677393).</summary>
    [JsonPropertyName("mean")] public double Mean { get; init; } = -4.2677393;
    /// <summary><c>std</c>: the dataset standard deviation (AudioSet: 4.5689974).</summary>
    [JsonPropertyName("std")] public double Std { get; init; } = 4.5689974;
    /// <summary><c>return_attention_mask</c>: recorded only.</summary>
    [JsonPropertyName("return_attention_mask")] public bool ReturnAttentionMask { get; init; }

    /// <summary>Reads and validates a <c>preprocessor_config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Bad JSON, another extractor type, or values out of range; the
    /// message names the file and the key.</exception>
    public static AstFeatureConfig Load(string path)
    {
        var config = HfConfigReader.Read<AstFeatureConfig>(path);
        config.Validate(path);
        return config;
    }

    /// <summary>Checks the values; <paramref name="source"/> names the config in messages.</summary>
    /// <exception cref="InvalidDataException">A value is out of range.</exception>
    public void Validate(string source)
    {
        if (FeatureExtractorType is { } type && type != ExtractorType)
            throw new InvalidDataException($"{source}: feature_extractor_type is '{type}', expected '{ExtractorType}'.");
        if (SamplingRate <= 0)
            throw new InvalidDataException($"{source}: sampling_rate must be positive, got {SamplingRate}.");
        if (NumMelBins <= 3)
            throw new InvalidDataException($"{source}: num_mel_bins must be more than 3 (Kaldi mel banks), got {NumMelBins}.");
        if (MaxLength <= 0)
            throw new InvalidDataException($"{source}: max_length must be positive, got {MaxLength}.");
        if (DoNormalize && !(Std > 0))
            throw new InvalidDataException($"{source}: std must be positive when do_normalize is true, got {Std}.");
    }
}
