using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Switch Transformer load-balancing loss (Fedus et al. 2021), in Hugging Face's Mixtral convention for top-k
/// (<c>load_balancing_loss_func</c>): <c>E · Σ_e f_e · P_e</c>, with <c>P_e</c> the mean of <c>p = softmax(logits)</c> over
/// real tokens and <c>f_e</c> the share of real tokens whose selection includes <c>e</c>. With <see cref="TopK"/> the
/// selection is each token's <c>TopK</c> largest <c>p</c> (<c>Σ_e f_e = TopK</c>, not divided by k: a perfectly
/// balanced router scores <c>TopK</c>, not 1; Megatron divides by k); with null it is the decision's
/// <see cref="RouterDecision.Selected"/> (whatever the strategy chose).
/// </summary>
/// <param name="TopK">Experts per token that count for <c>f</c>, or null for the decision's selection.</param>
public sealed record SwitchLoadBalance(int? TopK = null) : AuxLoss
{
    /// <inheritdoc/>
    public override string Name => "load_balance";

    /// <inheritdoc/>
    public override void Validate(int experts)
    {
        base.Validate(experts);
        if (TopK is int k)
            Gating.CheckK($"{Name} topk", k, experts);
    }

    /// <inheritdoc/>
    public override Tensor Compute(RouterDecision decision, Tensor? tokenMask)
    {
        int experts = CheckDecision(decision);
        var p = decision.Probabilities;
        var selected = TopK is int k ? Gating.TopKMask(p, k) : decision.Selected.to(p.dtype);
        var share = TokenMean.Of(selected, tokenMask);          // f [E]
        var meanP = TokenMean.Of(p, tokenMask);                  // P [E]
        return (share * meanP).sum() * experts;
    }

    /// <inheritdoc/>
    public override string ToSpec() => SpecFormat.Of(Name, ("coef", Coefficient), ("topk", TopK));
}
