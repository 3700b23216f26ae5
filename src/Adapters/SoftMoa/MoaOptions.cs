using System.Text.Json.Serialization;
using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Sublayers;

namespace MMAdapt.Adapters.SoftMoa;

/// <summary>How a mixture of adapters mixes its experts.</summary>
public enum MoaMixing
{
    /// <summary>Soft-MoA: tokens are dispatched to slots and slot outputs combined back (<see cref="SoftMixtureOfAdapters"/>).</summary>
    Soft,
    /// <summary>Dense-MoA: every adapter on every token, mixed by a per-token router (<see cref="DenseMixtureOfAdapters"/>).</summary>
    Dense,
}

/// <summary>
/// What mixtures of bottleneck adapters to attach to a component, as a recipe writes it (snake_case keys).
/// </summary>
/// <remarks>
/// <para>Soft-MoA (Cappellazzo et al., 2024) mixes tokens across the sequence, so it belongs in bidirectional encoders
/// (AST, Whisper, CLIP, SigLIP); attaching it to a causal decoder fails. Its paper places the mixture in parallel beside
/// the attention and/or the MLP block (<c>placement: parallel</c>, <c>sublayers: [attention, mlp]</c>); sequential
/// <c>houlsby</c> and <c>pfeiffer</c> placements are available too (see <see cref="SublayerPlacement"/>).</para>
/// <para>Example: <c>{ "mixing": "soft", "experts": 4, "slots": 2, "bottleneck": 16, "normalize": true,
/// "placement": "parallel", "sublayers": ["attention", "mlp"] }</c>.</para>
/// </remarks>
public sealed record MoaOptions
{
    /// <summary><c>mixing</c>: <c>soft</c> or <c>dense</c>.</summary>
    [JsonPropertyName("mixing")] public string Mixing { get; init; } = "soft";

    /// <summary><c>experts</c>: number of adapters <c>n</c> (positive).</summary>
    [JsonPropertyName("experts")] public int Experts { get; init; } = 4;

    /// <summary><c>slots</c>: slots per adapter <c>p</c> (positive; soft mixing only, so dense needs 1).</summary>
    [JsonPropertyName("slots")] public int Slots { get; init; } = 1;

    /// <summary><c>bottleneck</c>: each adapter's middle width (positive).</summary>
    [JsonPropertyName("bottleneck")] public int Bottleneck { get; init; } = 64;

    /// <summary><c>activation</c>: the adapters' nonlinearity (<c>gelu</c>, <c>relu</c>, ...).</summary>
    [JsonPropertyName("activation")] public string Activation { get; init; } = "gelu";

    /// <summary><c>scaling</c>: factor on the adapters' outputs (finite).</summary>
    [JsonPropertyName("scaling")] public double Scaling { get; init; } = 1.0;

    /// <summary><c>normalize</c>: L2-normalise tokens and slot parameters with a learned scale (soft mixing only).</summary>
    [JsonPropertyName("normalize")] public bool Normalize { get; init; }

    /// <summary><c>placement</c>: <c>parallel</c>, <c>houlsby</c> or <c>pfeiffer</c>.</summary>
    [JsonPropertyName("placement")] public string Placement { get; init; } = "parallel";

    /// <summary><c>sublayers</c>: for <c>parallel</c>, <c>attention</c> and/or <c>mlp</c> (null: <c>mlp</c>).</summary>
    [JsonPropertyName("sublayers")] public IReadOnlyList<string>? Sublayers { get; init; }

    /// <summary><c>layers</c>: layer indices to adapt; null: every layer.</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<int>? Layers { get; init; }

    /// <summary>The resolved mixing.</summary>
    /// <exception cref="InvalidDataException">An unknown name.</exception>
    public MoaMixing MixingKind(string source = "mixture of adapters") => MixingTable.Parse(Mixing, source);

    private static readonly OptionTable<MoaMixing> MixingTable = new("mixing", ("soft", MoaMixing.Soft), ("dense", MoaMixing.Dense));

    /// <summary>The resolved settings of each soft mixture (for <c>mixing: soft</c>).</summary>
    /// <exception cref="InvalidDataException">An unknown activation, or an unknown or contradictory placement.</exception>
    public SoftMoaSettings SoftSettings(string source = "mixture of adapters") =>
        new(Experts, Slots, Bottleneck, AdapterActivations.Parse(Activation, source), Scaling, Normalize, Parallel(source));

    /// <summary>The resolved settings of each dense mixture (for <c>mixing: dense</c>; slots and normalize do not apply).</summary>
    /// <exception cref="InvalidDataException">An unknown activation, or an unknown or contradictory placement.</exception>
    public DenseMoaSettings DenseSettings(string source = "mixture of adapters") =>
        new(Experts, Bottleneck, AdapterActivations.Parse(Activation, source), Scaling, Parallel(source));

    private bool Parallel(string source) => SublayerPlacements.Resolve(Placement, Sublayers, source).Parallel;

    /// <summary>Checks every setting; the message names the key.</summary>
    /// <exception cref="InvalidDataException">A bad or contradictory value.</exception>
    public void Validate(string source = "mixture of adapters")
    {
        var mixing = MixingKind(source);
        if (Experts <= 0)
            throw new InvalidDataException($"{source}: experts must be positive, got {Experts}.");
        if (Slots <= 0)
            throw new InvalidDataException($"{source}: slots must be positive, got {Slots}.");
        if (Bottleneck <= 0)
            throw new InvalidDataException($"{source}: bottleneck must be positive, got {Bottleneck}.");
        if (!double.IsFinite(Scaling))
            throw new InvalidDataException($"{source}: scaling must be finite, got {Scaling}.");
        if (mixing == MoaMixing.Dense && (Slots != 1 || Normalize))
            throw new InvalidDataException($"{source}: slots and normalize apply to soft mixing only; dense mixing needs slots 1 and normalize false.");
        _ = AdapterActivations.Parse(Activation, source);
        _ = SublayerPlacements.Resolve(Placement, Sublayers, source);
    }
}
