using System.Text.Json;
using System.Text.Json.Serialization;
using MMAdapt.Core.Configuration;

namespace MMAdapt.Encoders.Vision;

/// <summary>The vision tower families MMAdapt implements.</summary>
public enum VisionFamily
{
    /// <summary>CLIP (Radford et al., 2021): class token, pre-layernorm, quick_gelu, patch conv without bias.</summary>
    Clip,
    /// <summary>SigLIP (Zhai et al., 2023): no class token, no pre-norm, gelu (tanh), patch conv with bias.</summary>
    Siglip,
}

/// <summary>
/// The vision half of a CLIP or SigLIP <c>config.json</c>, read from a <c>CLIPVisionModel</c> /
/// <c>SiglipVisionModel</c> config, or from the <c>vision_config</c> of a full CLIP/SigLIP or LLaVA config.
/// Unset keys take the Hugging Face defaults of the family.
/// </summary>
public sealed record VisionTowerConfig
{
    /// <summary>Which family.</summary>
    [JsonIgnore] public VisionFamily Family { get; init; }
    /// <summary><c>hidden_size</c>.</summary>
    [JsonPropertyName("hidden_size")] public int? HiddenSizeSetting { get; init; }
    /// <summary><c>intermediate_size</c>.</summary>
    [JsonPropertyName("intermediate_size")] public int? IntermediateSizeSetting { get; init; }
    /// <summary><c>num_hidden_layers</c>.</summary>
    [JsonPropertyName("num_hidden_layers")] public int? LayersSetting { get; init; }
    /// <summary><c>num_attention_heads</c>.</summary>
    [JsonPropertyName("num_attention_heads")] public int? HeadsSetting { get; init; }
    /// <summary><c>num_channels</c>.</summary>
    [JsonPropertyName("num_channels")] public int? ChannelsSetting { get; init; }
    /// <summary><c>image_size</c>.</summary>
    [JsonPropertyName("image_size")] public int? ImageSizeSetting { get; init; }
    /// <summary><c>patch_size</c>.</summary>
    [JsonPropertyName("patch_size")] public int? PatchSizeSetting { get; init; }
    /// <summary><c>hidden_act</c>.</summary>
    [JsonPropertyName("hidden_act")] public string? HiddenActSetting { get; init; }
    /// <summary><c>layer_norm_eps</c>.</summary>
    [JsonPropertyName("layer_norm_eps")] public double? LayerNormEpsSetting { get; init; }

    /// <summary>Residual width (CLIP/SigLIP default 768).</summary>
    [JsonIgnore] public int HiddenSize => HiddenSizeSetting ?? 768;
    /// <summary>MLP width (default 3072).</summary>
    [JsonIgnore] public int IntermediateSize => IntermediateSizeSetting ?? 3072;
    /// <summary>Encoder layers (default 12).</summary>
    [JsonIgnore] public int Layers => LayersSetting ?? 12;
    /// <summary>Attention heads (default 12).</summary>
    [JsonIgnore] public int Heads => HeadsSetting ?? 12;
    /// <summary>Input channels (default 3).</summary>
    [JsonIgnore] public int Channels => ChannelsSetting ?? 3;
    /// <summary>Input side in pixels (default 224).</summary>
    [JsonIgnore] public int ImageSize => ImageSizeSetting ?? 224;
    /// <summary>Patch side (CLIP default 32, SigLIP 16).</summary>
    [JsonIgnore] public int PatchSize => PatchSizeSetting ?? (Family == VisionFamily.Clip ? 32 : 16);
    /// <summary>Activation (CLIP default quick_gelu, SigLIP gelu_pytorch_tanh).</summary>
    [JsonIgnore] public string HiddenAct => HiddenActSetting ?? (Family == VisionFamily.Clip ? "quick_gelu" : "gelu_pytorch_tanh");
    /// <summary>LayerNorm epsilon (CLIP default 1e-5, SigLIP 1e-6).</summary>
    [JsonIgnore] public double LayerNormEps => LayerNormEpsSetting ?? (Family == VisionFamily.Clip ? 1e-5 : 1e-6);
    /// <summary>Patches per image: (image / patch)².</summary>
    [JsonIgnore] public int Patches => (ImageSize / PatchSize) * (ImageSize / PatchSize);
    /// <summary>Whether a class token is prepended (CLIP).</summary>
    [JsonIgnore] public bool HasClassToken => Family == VisionFamily.Clip;

    /// <summary>The <c>model_type</c> values read as vision configs, with their family.</summary>
    public static IReadOnlyDictionary<string, VisionFamily> ModelTypes { get; } = new Dictionary<string, VisionFamily>
    {
        ["clip_vision_model"] = VisionFamily.Clip,
        ["clip"] = VisionFamily.Clip,
        ["siglip_vision_model"] = VisionFamily.Siglip,
        ["siglip"] = VisionFamily.Siglip,
    };

    /// <summary>Reads a config.json of a vision model, a full CLIP/SigLIP model, or a LLaVA model (its vision_config).</summary>
    /// <exception cref="InvalidDataException">Not a CLIP or SigLIP config (the message lists the supported model types).</exception>
    public static VisionTowerConfig Load(string path)
    {
        using var document = HfConfigReader.ReadDocument(path);
        var root = document.RootElement;
        var element = root.TryGetProperty("vision_config", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
        var type = element.TryGetProperty("model_type", out var t) ? t.GetString() : null;
        // A LLaVA or full CLIP config may leave the nested model_type out; the outer one then says the family.
        if (type is null && root.TryGetProperty("model_type", out var outer))
            type = outer.GetString();
        if (type is null || !ModelTypes.TryGetValue(type, out var family))
            throw new InvalidDataException(
                $"{path}: model_type '{type ?? "(missing)"}' is not a supported vision tower; supported: {string.Join(", ", ModelTypes.Keys)}.");
        VisionTowerConfig config;
        try
        {
            config = element.Deserialize<VisionTowerConfig>(HfConfigReader.Options)! with { Family = family };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid vision config at '{e.Path}': {e.Message.Split(" Path:")[0]}", e);
        }
        config.Validate(path);
        return config;
    }

    /// <summary>Checks the sizes fit together.</summary>
    public void Validate(string source)
    {
        if (HiddenSize <= 0 || Heads <= 0 || HiddenSize % Heads != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} must be a positive multiple of num_attention_heads {Heads}.");
        // The patch convolution drops a remainder (SigLIP so400m: 384 px in patches of 14 gives 27 x 27), as in HF.
        if (PatchSize <= 0 || ImageSize < PatchSize)
            throw new InvalidDataException($"{source}: image_size {ImageSize} must be at least patch_size {PatchSize} (and patch_size positive).");
        if (Layers <= 0 || IntermediateSize <= 0 || Channels <= 0)
            throw new InvalidDataException($"{source}: num_hidden_layers, intermediate_size and num_channels must be positive.");
        MMAdapt.Encoders.Layers.Activations.Get(HiddenAct, source);
    }
}
