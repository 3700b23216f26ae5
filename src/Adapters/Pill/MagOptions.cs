using System.Text.Json.Serialization;
using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Pill;

/// <summary>
/// PILL's modality-attention gate (MAG), as a recipe writes it (snake_case keys): a gate on the value projection of
/// every selected attention block.
/// </summary>
/// <remarks>Example: <c>{ "heads": 8, "modalities": ["image"], "residual": false }</c>; <c>heads</c> is the number of
/// key/value heads (Llama's <c>num_key_value_heads</c>).</remarks>
public sealed record MagOptions
{
    /// <summary><c>heads</c>: key/value heads of the attention blocks (positive; must divide the value width). Recipes may
    /// leave it out: it is then read from the component's config.</summary>
    [JsonPropertyName("heads")] public int Heads { get; init; }

    /// <summary><c>modalities</c>: the modalities whose values are gated (PILL: image).</summary>
    [JsonPropertyName("modalities")] public IReadOnlyList<string> Modalities { get; init; } = ["image"];

    /// <summary><c>residual</c>: multiply by <c>1 + g</c> (identity at first) instead of <c>g</c> (silent at first).</summary>
    [JsonPropertyName("residual")] public bool Residual { get; init; }

    /// <summary><c>enabled</c>: false attaches the gates switched off (an alignment stage); see <see cref="PillAttacher.SetGatesEnabled"/>.</summary>
    [JsonPropertyName("enabled")] public bool Enabled { get; init; } = true;

    /// <summary><c>target_modules</c>: the names of value projections (Llama, CLIP, SigLIP, Whisper: <c>v_proj</c>; AST: <c>value</c>).</summary>
    [JsonPropertyName("target_modules")] public IReadOnlyList<string> TargetModules { get; init; } = ["v_proj", "value"];

    /// <summary><c>layers</c>: layer indices to gate; null: every layer.</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<int>? Layers { get; init; }

    /// <summary>The resolved modalities.</summary>
    public IReadOnlyList<Modality> ModalityKinds(string source = "MAG") => ModalityNames.Parse(Modalities, source, "modalities");

    /// <summary>The resolved settings each gate is built with (<see cref="Enabled"/> is set on the gate).</summary>
    /// <exception cref="InvalidDataException">An unknown modality.</exception>
    public MagSettings Settings(string source = "MAG") => new(Heads, ModalityKinds(source), Residual);

    /// <summary>Checks every setting; the message names the key.</summary>
    /// <exception cref="InvalidDataException">A bad value.</exception>
    public void Validate(string source = "MAG")
    {
        if (Heads <= 0)
            throw new InvalidDataException($"{source}: heads must be positive (the attention's key/value head count), got {Heads}.");
        if (TargetModules.Count == 0)
            throw new InvalidDataException($"{source}: target_modules is empty; name the value projections (e.g. v_proj).");
        _ = ModalityKinds(source);
    }
}
