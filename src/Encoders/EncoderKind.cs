using MMAdapt.Core.Configuration;
using MMAdapt.Encoders.Vision;
using System.Text.Json;

namespace MMAdapt.Encoders;

/// <summary>The families of frozen encoder towers MMAdapt loads.</summary>
public enum EncoderKind
{
    /// <summary>CLIP or SigLIP image tower (input <c>pixel_values</c>).</summary>
    Vision,
    /// <summary>Whisper audio encoder (input <c>input_features</c>, log-mel).</summary>
    Whisper,
    /// <summary>Audio Spectrogram Transformer (input <c>input_values</c>, Kaldi fbank).</summary>
    Ast,
}

/// <summary>Tells which tower a checkpoint folder holds, from its config.json.</summary>
public static class EncoderKinds
{
    /// <summary>The model_type values recognised, for error messages.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } =
        [.. VisionTowerConfig.ModelTypes.Keys, "llava (its vision_config)", "whisper", "audio-spectrogram-transformer"];

    /// <summary>Detects the tower kind of <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidDataException">Unknown model_type; the message lists the supported ones.</exception>
    public static EncoderKind Detect(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        using var document = HfConfigReader.ReadDocument(path);
        var root = document.RootElement;
        var type = root.TryGetProperty("model_type", out var t) ? t.GetString() : null;
        if (type is not null && VisionTowerConfig.ModelTypes.ContainsKey(type))
            return EncoderKind.Vision;
        if (root.TryGetProperty("vision_config", out var vision) && vision.ValueKind == JsonValueKind.Object)
            return EncoderKind.Vision;
        return type switch
        {
            "whisper" => EncoderKind.Whisper,
            "audio-spectrogram-transformer" => EncoderKind.Ast,
            _ => throw new InvalidDataException(
                $"{path}: model_type '{type ?? "(missing)"}' is not an encoder MMAdapt loads; supported: {string.Join(", ", SupportedModelTypes)}."),
        };
    }
}
