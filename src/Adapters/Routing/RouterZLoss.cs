using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// ST-MoE router z-loss (Zoph et al. 2022): the mean over real tokens of <c>logsumexp(logits)²</c>; it keeps
/// router logits small (numerically stable in low precision). Reads <see cref="RouterDecision.Logits"/>
/// (after the router temperature).
/// </summary>
public sealed record RouterZLoss : AuxLoss
{
    /// <inheritdoc/>
    public override string Name => "z_loss";

    /// <inheritdoc/>
    public override Tensor Compute(RouterDecision decision, Tensor? tokenMask)
    {
        CheckDecision(decision);
        var lse = decision.Logits.logsumexp(1);                   // [N]
        return TokenMean.OfTokens(lse * lse, tokenMask);
    }
}
