using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// LIMoE global entropy loss (Mustafa et al. 2022): minus the entropy of the mean distribution over real tokens,
/// <c>−H(mean_t p_t)</c> (negative; minimising it spreads the tokens over all experts).
/// </summary>
public sealed record EntropyGlobal : AuxLoss
{
    /// <inheritdoc/>
    public override string Name => "entropy_global";

    /// <inheritdoc/>
    public override Tensor Compute(RouterDecision decision, Tensor? tokenMask)
    {
        CheckDecision(decision);
        return -Entropy.Of(TokenMean.Of(decision.Probabilities, tokenMask));
    }
}
