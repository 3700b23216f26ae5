using System.Text.Json.Serialization;
using MMAdapt.Core.Configuration;

namespace MMAdapt.Models.Llama;

/// <summary>
/// A Hugging Face <c>config.json</c> of the Llama family: <c>llama</c>, <c>mistral</c> and <c>qwen2</c>
/// share one decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU MLP) and differ only in the
/// settings below.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>The model types this decoder implements.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "mistral", "qwen2"];

    /// <summary><c>architectures</c>: the Hugging Face class names, e.g. <c>LlamaForCausalLM</c>.</summary>
    [JsonPropertyName("architectures")] public IReadOnlyList<string>? Architectures { get; init; }
    /// <summary><c>model_type</c>: llama, mistral or qwen2.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "llama";
    /// <summary><c>vocab_size</c>: rows of the embedding and LM head.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 32000;
    /// <summary><c>hidden_size</c>: width of the residual stream.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 4096;
    /// <summary><c>intermediate_size</c>: width of the SwiGLU MLP.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 11008;
    /// <summary><c>num_hidden_layers</c>: decoder layers.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 32;
    /// <summary><c>num_attention_heads</c>: query heads.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 32;
    /// <summary><c>num_key_value_heads</c>: key/value heads (grouped-query attention); defaults to the query heads.</summary>
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeadsSetting { get; init; }
    /// <summary><c>head_dim</c>: per-head width; defaults to hidden_size / num_attention_heads.</summary>
    [JsonPropertyName("head_dim")] public int? HeadDimSetting { get; init; }
    /// <summary><c>rms_norm_eps</c>.</summary>
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;
    /// <summary><c>rope_theta</c>: RoPE base.</summary>
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;
    /// <summary><c>rope_scaling</c>: null, or a <see cref="RopeScaling"/> (linear, llama3).</summary>
    [JsonPropertyName("rope_scaling")] public RopeScaling? RopeScaling { get; init; }
    /// <summary><c>max_position_embeddings</c>.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary><c>hidden_act</c>: must be silu (SwiGLU).</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "silu";
    /// <summary><c>tie_word_embeddings</c>: the LM head reuses the embedding table.</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }
    /// <summary><c>attention_bias</c> (llama): bias on q, k, v and o projections. Qwen2 always has q/k/v bias.</summary>
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }
    /// <summary><c>mlp_bias</c> (llama): bias on the MLP projections.</summary>
    [JsonPropertyName("mlp_bias")] public bool MlpBias { get; init; }
    /// <summary><c>sliding_window</c> (mistral, qwen2): ignored with a warning; attention is always full.</summary>
    [JsonPropertyName("sliding_window")] public int? SlidingWindow { get; init; }
    /// <summary><c>use_sliding_window</c> (qwen2): whether <see cref="SlidingWindow"/> is in force.</summary>
    [JsonPropertyName("use_sliding_window")] public bool? UseSlidingWindow { get; init; }
    /// <summary><c>torch_dtype</c> (or <c>dtype</c>): the dtype the weights were saved in.</summary>
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; }
    /// <summary><c>initializer_range</c>: std of the normal initialisation for models built from scratch.</summary>
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    /// <summary><c>bos_token_id</c>.</summary>
    [JsonPropertyName("bos_token_id"), JsonConverter(typeof(TokenIdListConverter))] public IReadOnlyList<int>? BosTokenId { get; init; }
    /// <summary><c>eos_token_id</c>: one id or several.</summary>
    [JsonPropertyName("eos_token_id"), JsonConverter(typeof(TokenIdListConverter))] public IReadOnlyList<int>? EosTokenId { get; init; }
    /// <summary><c>pad_token_id</c>.</summary>
    [JsonPropertyName("pad_token_id"), JsonConverter(typeof(TokenIdListConverter))] public IReadOnlyList<int>? PadTokenId { get; init; }

    /// <summary>Key/value heads in effect.</summary>
    [JsonIgnore] public int NumKeyValueHeads => NumKeyValueHeadsSetting ?? NumAttentionHeads;
    /// <summary>Per-head width in effect.</summary>
    [JsonIgnore] public int HeadDim => HeadDimSetting ?? HiddenSize / NumAttentionHeads;
    /// <summary>True when q, k and v projections carry a bias (always for qwen2).</summary>
    [JsonIgnore] public bool QkvBias => ModelType == "qwen2" || AttentionBias;
    /// <summary>True when the output projection carries a bias (llama with attention_bias).</summary>
    [JsonIgnore] public bool OutputBias => ModelType != "qwen2" && AttentionBias;
    /// <summary>True when the config asks for sliding-window attention, which this decoder does not do.</summary>
    [JsonIgnore] public bool AsksForSlidingWindow => SlidingWindow is > 0 && (ModelType != "qwen2" || UseSlidingWindow == true);

    /// <summary>Reads the LLM part of a multimodal config: its <c>text_config</c> object (LLaVA), or the file itself.</summary>
    /// <exception cref="InvalidDataException">No supported text model in the file; the message names it.</exception>
    public static LlamaConfig LoadText(string path)
    {
        using var document = HfConfigReader.ReadDocument(path);
        if (!document.RootElement.TryGetProperty("text_config", out var text) || text.ValueKind != System.Text.Json.JsonValueKind.Object)
            return Load(path);
        var modelType = text.TryGetProperty("model_type", out var t) ? t.GetString() : "llama"; // LLaVA configs may omit it for Llama
        if (modelType is null || !SupportedModelTypes.Contains(modelType))
            throw new InvalidDataException(
                $"{path}: text_config.model_type '{modelType ?? "(missing)"}' is not supported by the Llama-family decoder; supported: {string.Join(", ", SupportedModelTypes)}.");
        LlamaConfig config;
        try
        {
            config = System.Text.Json.JsonSerializer.Deserialize<LlamaConfig>(text.GetRawText(), HfConfigReader.Options)! with { ModelType = modelType };
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid text_config at '{e.Path}': {e.Message.Split(" Path:")[0]}", e);
        }
        config.Validate(path + " (text_config)");
        return config;
    }

    /// <summary>Reads and validates a config.json.</summary>
    /// <exception cref="InvalidDataException">Unsupported model_type (the message lists the supported
    /// ones) or inconsistent sizes; the message names the file and the key.</exception>
    public static LlamaConfig Load(string path)
    {
        var modelType = HfConfigReader.ModelType(path);
        if (modelType is null || !SupportedModelTypes.Contains(modelType))
            throw new InvalidDataException(
                $"{path}: model_type '{modelType ?? "(missing)"}' is not supported by the Llama-family decoder; supported: {string.Join(", ", SupportedModelTypes)}.");
        var config = HfConfigReader.Read<LlamaConfig>(path);
        config.Validate(path);
        return config;
    }

    /// <summary>Writes the config as Hugging Face's <c>config.json</c> (unset optional keys omitted).</summary>
    public void Save(string path)
    {
        var withArchitecture = this with { Architectures = Architectures ?? [ArchitectureName] };
        MMAdapt.Core.IO.AtomicFile.WriteAllText(path, HfConfigReader.Serialize(withArchitecture));
    }

    /// <summary>The Hugging Face class name for this model type.</summary>
    [JsonIgnore] public string ArchitectureName => ModelType switch
    {
        "mistral" => "MistralForCausalLM",
        "qwen2" => "Qwen2ForCausalLM",
        _ => "LlamaForCausalLM",
    };

    /// <summary>Checks that the sizes fit together.</summary>
    public void Validate(string source)
    {
        void Positive(string key, double value)
        {
            if (!(value > 0))
                throw new InvalidDataException($"{source}: {key} must be positive, got {value}.");
        }
        Positive("vocab_size", VocabSize);
        Positive("hidden_size", HiddenSize);
        Positive("intermediate_size", IntermediateSize);
        Positive("num_hidden_layers", NumHiddenLayers);
        Positive("num_attention_heads", NumAttentionHeads);
        Positive("num_key_value_heads", NumKeyValueHeads);
        Positive("rms_norm_eps", RmsNormEps);
        Positive("rope_theta", RopeTheta);
        if (HeadDimSetting is null && HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}.");
        if (HeadDim % 2 != 0)
            throw new InvalidDataException($"{source}: head_dim {HeadDim} must be even for rotary embeddings.");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new InvalidDataException($"{source}: num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}.");
        if (HiddenAct is not ("silu" or "swish"))
            throw new InvalidDataException($"{source}: hidden_act '{HiddenAct}' is not supported; the Llama family uses silu.");
        RopeScaling?.Validate(source);
    }
}
