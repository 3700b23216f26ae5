using System.Text.Json.Serialization;
using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Sublayers;

namespace MMAdapt.Adapters.Bottleneck;

/// <summary>
/// What bottleneck adapters to attach to a component, as a recipe writes it (snake_case keys).
/// </summary>
/// <remarks>
/// <para>Placements: <c>houlsby</c> (Houlsby et al., 2019, "Parameter-Efficient Transfer Learning for NLP": in sequence
/// after attention and MLP), <c>pfeiffer</c> (Pfeiffer et al., 2020, "AdapterFusion": in sequence after the MLP only),
/// <c>parallel</c> (He et al., 2022, "Towards a Unified View of Parameter-Efficient Transfer Learning": beside the
/// block, reading its input, scaled by <c>scaling</c>; their best variant is the MLP block with s = 4).</para>
/// <para>Example: <c>{ "bottleneck": 16, "activation": "relu", "placement": "parallel", "sublayers": ["mlp"], "scaling": 4 }</c>.</para>
/// </remarks>
public sealed record BottleneckOptions
{
    /// <summary><c>bottleneck</c>: the adapter's middle width (positive).</summary>
    [JsonPropertyName("bottleneck")] public int Bottleneck { get; init; } = 64;

    /// <summary><c>activation</c>: the middle nonlinearity, <c>relu</c> or <c>gelu</c> (also <c>silu</c>, <c>sigmoid</c>).</summary>
    [JsonPropertyName("activation")] public string Activation { get; init; } = "relu";

    /// <summary><c>scaling</c>: the factor <c>s</c> on the adapter's output (finite).</summary>
    [JsonPropertyName("scaling")] public double Scaling { get; init; } = 1.0;

    /// <summary><c>placement</c>: <c>houlsby</c>, <c>pfeiffer</c> or <c>parallel</c>.</summary>
    [JsonPropertyName("placement")] public string Placement { get; init; } = "houlsby";

    /// <summary><c>sublayers</c>: for <c>parallel</c>, <c>attention</c> and/or <c>mlp</c> (null: <c>mlp</c>); Houlsby and
    /// Pfeiffer fix their blocks, and a contradicting list is refused.</summary>
    [JsonPropertyName("sublayers")] public IReadOnlyList<string>? Sublayers { get; init; }

    /// <summary><c>layers</c>: layer indices to adapt; null: every layer.</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<int>? Layers { get; init; }

    /// <summary>The resolved middle nonlinearity.</summary>
    /// <exception cref="InvalidDataException">An unknown name.</exception>
    public AdapterActivation ActivationKind(string source = "bottleneck adapter") => AdapterActivations.Parse(Activation, source);

    /// <summary>The resolved placement.</summary>
    /// <exception cref="InvalidDataException">An unknown or contradictory placement.</exception>
    public ResolvedPlacement ResolvedPlacement(string source = "bottleneck adapter") => SublayerPlacements.Resolve(Placement, Sublayers, source);

    /// <summary>The resolved settings each adapter is built with.</summary>
    /// <exception cref="InvalidDataException">An unknown activation, or an unknown or contradictory placement.</exception>
    public BottleneckSettings Settings(string source = "bottleneck adapter") =>
        new(Bottleneck, ActivationKind(source), Scaling, ResolvedPlacement(source).Parallel);

    /// <summary>Checks every setting; the message names the key.</summary>
    /// <exception cref="InvalidDataException">A bad value.</exception>
    public void Validate(string source = "bottleneck adapter")
    {
        if (Bottleneck <= 0)
            throw new InvalidDataException($"{source}: bottleneck must be positive, got {Bottleneck}.");
        if (!double.IsFinite(Scaling))
            throw new InvalidDataException($"{source}: scaling must be finite, got {Scaling}.");
        _ = ActivationKind(source);
        _ = ResolvedPlacement(source);
    }
}
