using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// LIMoE local entropy loss (Mustafa et al. 2022): the mean over real tokens of the entropy of each token's
/// <c>p = softmax(logits)</c>, <c>mean_t H(p_t)</c>; minimising it makes each token confident in few experts.
/// </summary>
public sealed record EntropyLocal : AuxLoss
{
    /// <inheritdoc/>
    public override string Name => "entropy_local";

    /// <inheritdoc/>
    public override Tensor Compute(RouterDecision decision, Tensor? tokenMask)
    {
        CheckDecision(decision);
        return TokenMean.OfTokens(Entropy.Of(decision.Probabilities), tokenMask);
    }
}
