using System.Text.Json.Serialization;
using MMAdapt.Core.Configuration;
using MMAdapt.Encoders.Layers;

namespace MMAdapt.Encoders.Whisper;

/// <summary>The encoder half of a Hugging Face Whisper <c>config.json</c> (model_type <c>whisper</c>).</summary>
public sealed record WhisperEncoderConfig
{
    /// <summary><c>d_model</c>: residual width.</summary>
    [JsonPropertyName("d_model")] public int DModel { get; init; } = 384;
    /// <summary><c>encoder_layers</c>.</summary>
    [JsonPropertyName("encoder_layers")] public int EncoderLayers { get; init; } = 4;
    /// <summary><c>encoder_attention_heads</c>.</summary>
    [JsonPropertyName("encoder_attention_heads")] public int EncoderAttentionHeads { get; init; } = 6;
    /// <summary><c>encoder_ffn_dim</c>: MLP width.</summary>
    [JsonPropertyName("encoder_ffn_dim")] public int EncoderFfnDim { get; init; } = 1536;
    /// <summary><c>num_mel_bins</c>: input channels (80, or 128 for large-v3).</summary>
    [JsonPropertyName("num_mel_bins")] public int NumMelBins { get; init; } = 80;
    /// <summary><c>max_source_positions</c>: output frames of a full chunk (1500 for 30 s).</summary>
    [JsonPropertyName("max_source_positions")] public int MaxSourcePositions { get; init; } = 1500;
    /// <summary><c>activation_function</c>.</summary>
    [JsonPropertyName("activation_function")] public string ActivationFunction { get; init; } = "gelu";
    /// <summary><c>model_type</c>.</summary>
    [JsonPropertyName("model_type")] public string? ModelType { get; init; }

    /// <summary>Reads and validates a Whisper config.json.</summary>
    /// <exception cref="InvalidDataException">Not a Whisper config, or inconsistent sizes.</exception>
    public static WhisperEncoderConfig Load(string path)
    {
        var config = HfConfigReader.Read<WhisperEncoderConfig>(path);
        if (config.ModelType != "whisper")
            throw new InvalidDataException($"{path}: model_type '{config.ModelType ?? "(missing)"}' is not a Whisper config (expected 'whisper').");
        if (config.DModel <= 0 || config.EncoderAttentionHeads <= 0 || config.DModel % config.EncoderAttentionHeads != 0)
            throw new InvalidDataException($"{path}: d_model {config.DModel} must be a positive multiple of encoder_attention_heads {config.EncoderAttentionHeads}.");
        if (config.EncoderLayers <= 0 || config.EncoderFfnDim <= 0 || config.NumMelBins <= 0 || config.MaxSourcePositions <= 0)
            throw new InvalidDataException($"{path}: encoder_layers, encoder_ffn_dim, num_mel_bins and max_source_positions must be positive.");
        Activations.Get(config.ActivationFunction, path);
        return config;
    }
}
