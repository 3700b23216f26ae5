using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Expert-choice routing (Zhou et al. 2022, "Mixture-of-Experts with expert choice routing"): with
/// <c>p = softmax(logits)</c> over experts, each expert takes the <c>C = ⌈CapacityFactor · n / E⌉</c> real tokens
/// with the highest <c>p</c> (capped at <c>n</c>) and gates them with <c>p</c>; <c>n</c> counts real tokens only
/// (<see cref="RoutingInputs.TokenMask"/>), and padded tokens are never picked. A token may be taken by several
/// experts or by none (its gates are then all zero).
/// </summary>
/// <remarks>
/// <para>Expert choice looks across the tokens of a call (<see cref="LooksAcrossTokens"/>): in a causal
/// decoder a token's experts would depend on later tokens, which do not exist at generation time, so there it is
/// a training-time strategy. Outside training (<see cref="Inference"/> = <see cref="ExpertChoiceInference.TokenChoice"/>,
/// the default) it routes with <see cref="TokenChoiceFallback"/>: renormalised softmax top-k with
/// <c>k = FallbackK ?? max(1, round(CapacityFactor))</c> (the same expected experts per token), capped at E.</para>
/// <para>No host synchronisation: the top-k runs with the capacity of the whole call
/// <c>⌈CapacityFactor · N / E⌉</c> (a shape), and ranks beyond the real-token capacity (a tensor) are dropped.
/// Ties are broken as <c>torch.topk</c> breaks them.</para>
/// </remarks>
/// <param name="CapacityFactor">Tokens per expert relative to an even split, &gt; 0 (1 = every expert takes n/E).</param>
public sealed record ExpertChoice(double CapacityFactor) : RoutingStrategy
{
    /// <inheritdoc/>
    public override string Name => "expert_choice";

    /// <summary>What to do outside training; default token choice (causal decoders).</summary>
    public ExpertChoiceInference Inference { get; init; } = ExpertChoiceInference.TokenChoice;

    /// <summary>Experts per token of the token-choice fallback; null means <c>max(1, round(CapacityFactor))</c>
    /// (midpoints away from zero) capped at E.</summary>
    public int? FallbackK { get; init; }

    /// <inheritdoc/>
    public override bool LooksAcrossTokens => true;

    /// <summary>The strategy used outside training, or null when <see cref="Inference"/> keeps expert choice.</summary>
    /// <param name="experts">Number of experts E (caps the default k).</param>
    public RoutingStrategy? TokenChoiceFallback(int experts) => Inference == ExpertChoiceInference.TokenChoice
        ? new SoftmaxTopK(FallbackK ?? Math.Min(experts, Math.Max(1, (int)Math.Round(CapacityFactor, MidpointRounding.AwayFromZero))), Renormalize: true)
        : null;

    /// <inheritdoc/>
    public override void Validate(int experts)
    {
        base.Validate(experts);
        if (!(CapacityFactor > 0) || double.IsInfinity(CapacityFactor))
            throw new ArgumentException($"{Name}: cf (capacity factor) = {CapacityFactor} must be a positive number.", nameof(CapacityFactor));
        if (FallbackK is int k)
            Gating.CheckK($"{Name} fallback_k", k, experts);
    }

    /// <inheritdoc/>
    public override RouterDecision Route(Tensor logits, RoutingInputs inputs)
    {
        int experts = CheckLogits(logits);
        if (!inputs.Training && TokenChoiceFallback(experts) is { } fallback)
            return fallback.Route(logits, inputs);

        long tokens = logits.shape[0];
        var p = logits.softmax(1);                                               // [N, E]
        var real = inputs.TokenMask is null
            ? ones(tokens, dtype: p.dtype, device: p.device)
            : inputs.TokenMask.reshape(tokens).to(p.dtype);                      // [N] 0/1
        int capacity = (int)Math.Min(tokens, Capacity(tokens, experts));        // top-k size, a shape
        if (capacity == 0)
            return new RouterDecision(logits, p, zeros_like(p), zeros_like(p));

        // Padded tokens score -1 < every probability, so each expert's top C lists real tokens first.
        var scores = p.masked_fill(real.eq(0).unsqueeze(1), -1.0).t();          // [E, N]
        var (_, picked) = scores.topk(capacity, dim: 1);                         // [E, C] token indices
        var realCapacity = (real.sum().to(ScalarType.Float64) * CapacityFactor / experts).ceil();  // scalar tensor
        var withinCapacity = arange(capacity, dtype: ScalarType.Float64, device: p.device).lt(realCapacity);  // [C]
        var taken = zeros(experts, tokens, dtype: p.dtype, device: p.device)
            .scatter(1, picked, withinCapacity.to(p.dtype).expand(experts, capacity)); // [E, N]
        var selected = taken.t() * real.unsqueeze(1);                            // [N, E], padding never selected
        return new RouterDecision(logits, p, p * selected, selected);
    }

    /// <summary>⌈CapacityFactor · tokens / E⌉ computed as the tensor path computes it (in double).</summary>
    private long Capacity(long tokens, int experts) => (long)Math.Ceiling(tokens * CapacityFactor / experts);

    /// <inheritdoc/>
    public override string ToSpec() => SpecFormat.Of(Name, ("cf", CapacityFactor),
        ("inference", Inference == ExpertChoiceInference.TokenChoice ? null : "expert_choice"), ("fallback_k", FallbackK));
}
