using System.Text.Json.Serialization;

namespace MMAdapt.Models.Llama;

/// <summary>
/// <c>rope_scaling</c> of a Llama-family config. Supported types: <c>default</c>, <c>linear</c>
/// (positions divided by <see cref="Factor"/>) and <c>llama3</c> (frequency-dependent scaling of
/// Llama 3.1: long wavelengths divided by the factor, short ones kept, a smooth blend between).
/// </summary>
public sealed record RopeScaling
{
    /// <summary>The supported scaling types.</summary>
    public static IReadOnlyList<string> SupportedTypes { get; } = ["default", "linear", "llama3"];

    /// <summary><c>rope_type</c> (newer configs).</summary>
    [JsonPropertyName("rope_type")] public string? RopeType { get; init; }
    /// <summary><c>type</c> (older configs).</summary>
    [JsonPropertyName("type")] public string? LegacyType { get; init; }
    /// <summary><c>factor</c>: context extension factor.</summary>
    [JsonPropertyName("factor")] public double Factor { get; init; } = 1.0;
    /// <summary><c>low_freq_factor</c> (llama3).</summary>
    [JsonPropertyName("low_freq_factor")] public double LowFreqFactor { get; init; } = 1.0;
    /// <summary><c>high_freq_factor</c> (llama3).</summary>
    [JsonPropertyName("high_freq_factor")] public double HighFreqFactor { get; init; } = 4.0;
    /// <summary><c>original_max_position_embeddings</c> (llama3): the pre-extension context length.</summary>
    [JsonPropertyName("original_max_position_embeddings")] public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    /// <summary>The scaling type in effect.</summary>
    [JsonIgnore] public string Type => RopeType ?? LegacyType ?? "default";

    /// <summary>Checks the type is supported and the factors are sane.</summary>
    public void Validate(string source)
    {
        if (!SupportedTypes.Contains(Type))
            throw new InvalidDataException(
                $"{source}: rope_scaling type '{Type}' is not supported; supported: {string.Join(", ", SupportedTypes)}.");
        if (!(Factor > 0))
            throw new InvalidDataException($"{source}: rope_scaling.factor must be positive, got {Factor}.");
        if (Type == "llama3" && !(HighFreqFactor > LowFreqFactor))
            throw new InvalidDataException($"{source}: rope_scaling.high_freq_factor ({HighFreqFactor}) must exceed low_freq_factor ({LowFreqFactor}).");
    }
}
