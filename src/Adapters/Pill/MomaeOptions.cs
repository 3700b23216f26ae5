using System.Text.Json.Serialization;
using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Sublayers;
using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Pill;

/// <summary>
/// PILL's mixture of modality adapter-experts (MoMAE), as a recipe writes it (snake_case keys): one gated adapter per
/// modality, added to the input of the chosen blocks (PILL: the MLP).
/// </summary>
/// <remarks>Example: <c>{ "bottleneck": 32, "modalities": ["text", "image"], "gate_activation": "silu", "sublayers": ["mlp"] }</c>.</remarks>
public sealed record MomaeOptions
{
    /// <summary><c>bottleneck</c>: each expert's middle width (positive; PILL uses 32).</summary>
    [JsonPropertyName("bottleneck")] public int Bottleneck { get; init; } = 32;

    /// <summary><c>modalities</c>: the modalities that get an expert (<c>text</c>, <c>image</c>, <c>audio</c>); tokens of
    /// other modalities pass unchanged.</summary>
    [JsonPropertyName("modalities")] public IReadOnlyList<string> Modalities { get; init; } = ["text", "image"];

    /// <summary><c>gate_activation</c>: the experts' gate nonlinearity (<c>silu</c> as PILL, or <c>sigmoid</c>, ...).</summary>
    [JsonPropertyName("gate_activation")] public string GateActivation { get; init; } = "silu";

    /// <summary><c>sublayers</c>: the blocks whose input the experts adapt, <c>mlp</c> and/or <c>attention</c>.</summary>
    [JsonPropertyName("sublayers")] public IReadOnlyList<string> Sublayers { get; init; } = ["mlp"];

    /// <summary><c>layers</c>: layer indices to adapt; null: every layer.</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<int>? Layers { get; init; }

    /// <summary>The resolved modalities.</summary>
    public IReadOnlyList<Modality> ModalityKinds(string source = "MoMAE") => ModalityNames.Parse(Modalities, source, "modalities");

    /// <summary>The resolved settings each mixture of experts is built with.</summary>
    /// <exception cref="InvalidDataException">An unknown modality or gate activation.</exception>
    public MomaeSettings Settings(string source = "MoMAE") =>
        new(Bottleneck, ModalityKinds(source), AdapterActivations.Parse(GateActivation, source));

    /// <summary>Checks every setting; the message names the key.</summary>
    /// <exception cref="InvalidDataException">A bad value.</exception>
    public void Validate(string source = "MoMAE")
    {
        if (Bottleneck <= 0)
            throw new InvalidDataException($"{source}: bottleneck must be positive, got {Bottleneck}.");
        _ = ModalityKinds(source);
        _ = AdapterActivations.Parse(GateActivation, source);
        _ = SublayerPlacements.ParseSublayers(Sublayers, source);
    }
}
