using System.Text.Json.Serialization;
using MMAdapt.Core.Configuration;
using MMAdapt.Encoders.Layers;

namespace MMAdapt.Encoders.Ast;

/// <summary>A Hugging Face AST <c>config.json</c> (model_type <c>audio-spectrogram-transformer</c>).</summary>
public sealed record AstConfig
{
    /// <summary><c>model_type</c>.</summary>
    [JsonPropertyName("model_type")] public string? ModelType { get; init; }
    /// <summary><c>hidden_size</c>.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    /// <summary><c>num_hidden_layers</c>.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    /// <summary><c>num_attention_heads</c>.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    /// <summary><c>intermediate_size</c>.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    /// <summary><c>hidden_act</c>.</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    /// <summary><c>layer_norm_eps</c>.</summary>
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    /// <summary><c>patch_size</c>: square patch side over (mel bins × frames).</summary>
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 16;
    /// <summary><c>frequency_stride</c>.</summary>
    [JsonPropertyName("frequency_stride")] public int FrequencyStride { get; init; } = 10;
    /// <summary><c>time_stride</c>.</summary>
    [JsonPropertyName("time_stride")] public int TimeStride { get; init; } = 10;
    /// <summary><c>max_length</c>: input frames.</summary>
    [JsonPropertyName("max_length")] public int MaxLength { get; init; } = 1024;
    /// <summary><c>num_mel_bins</c>.</summary>
    [JsonPropertyName("num_mel_bins")] public int NumMelBins { get; init; } = 128;
    /// <summary><c>qkv_bias</c>.</summary>
    [JsonPropertyName("qkv_bias")] public bool QkvBias { get; init; } = true;
    /// <summary><c>id2label</c>: class names of the classifier head.</summary>
    [JsonPropertyName("id2label")] public IReadOnlyDictionary<string, string>? Id2Label { get; init; }

    /// <summary>Patches along the mel axis.</summary>
    [JsonIgnore] public int FrequencyPatches => (NumMelBins - PatchSize) / FrequencyStride + 1;
    /// <summary>Patches along the time axis.</summary>
    [JsonIgnore] public int TimePatches => (MaxLength - PatchSize) / TimeStride + 1;
    /// <summary>Output tokens: patches plus the class and distillation tokens.</summary>
    [JsonIgnore] public int Tokens => FrequencyPatches * TimePatches + 2;

    /// <summary>Reads and validates an AST config.json.</summary>
    public static AstConfig Load(string path)
    {
        var config = HfConfigReader.Read<AstConfig>(path);
        if (config.ModelType != "audio-spectrogram-transformer")
            throw new InvalidDataException($"{path}: model_type '{config.ModelType ?? "(missing)"}' is not an AST config (expected 'audio-spectrogram-transformer').");
        if (config.HiddenSize <= 0 || config.NumAttentionHeads <= 0 || config.HiddenSize % config.NumAttentionHeads != 0)
            throw new InvalidDataException($"{path}: hidden_size {config.HiddenSize} must be a positive multiple of num_attention_heads {config.NumAttentionHeads}.");
        if (config.NumMelBins < config.PatchSize || config.MaxLength < config.PatchSize || config.FrequencyStride <= 0 || config.TimeStride <= 0)
            throw new InvalidDataException($"{path}: num_mel_bins {config.NumMelBins} and max_length {config.MaxLength} must be at least patch_size {config.PatchSize}, strides positive.");
        Activations.Get(config.HiddenAct, path);
        return config;
    }
}
