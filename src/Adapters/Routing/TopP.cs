using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Top-p (dynamic) token choice (Huang et al. 2024, "Harder tasks need more experts: dynamic routing in MoE
/// models"): each token keeps the smallest set of its largest <c>p = softmax(logits)</c> whose sum reaches
/// <see cref="Threshold"/> (an expert is kept while the mass of the larger ones is still below it, so the
/// largest is always kept), at most <see cref="MaxExperts"/> of them; the kept <c>p</c> are renormalised.
/// </summary>
/// <param name="Threshold">Cumulative probability to reach, in <c>(0, 1]</c>.</param>
/// <param name="MaxExperts">Cap on experts per token (<c>1 ≤ cap ≤ E</c>), or null for none.</param>
public sealed record TopP(double Threshold, int? MaxExperts = null) : RoutingStrategy
{
    /// <inheritdoc/>
    public override string Name => "top_p";

    /// <inheritdoc/>
    public override void Validate(int experts)
    {
        base.Validate(experts);
        if (!(Threshold > 0 && Threshold <= 1))
            throw new ArgumentException($"{Name}: p = {Threshold} must be in (0, 1].", nameof(Threshold));
        if (MaxExperts is int cap)
            Gating.CheckK($"{Name} max_experts", cap, experts);
    }

    /// <inheritdoc/>
    public override RouterDecision Route(Tensor logits, RoutingInputs inputs)
    {
        int experts = CheckLogits(logits);
        var p = logits.softmax(1);                                     // [N, E]
        var (sorted, order) = p.sort(1, descending: true, stable: true);
        var before = sorted.cumsum(1) - sorted;                        // mass of the larger experts [N, E]
        var keep = before.lt(Threshold);
        if (MaxExperts is int cap && cap < experts)
            keep = keep.logical_and(arange(experts, device: logits.device).lt(cap));
        var selected = zeros_like(p).scatter(1, order, keep.to(p.dtype));
        var gates = Gating.Renormalize(p * selected);
        return new RouterDecision(logits, p, gates, selected);
    }

    /// <inheritdoc/>
    public override string ToSpec() => SpecFormat.Of(Name, ("p", Threshold), ("max_experts", MaxExperts));
}
