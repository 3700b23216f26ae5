using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Load loss (Shazeer et al. 2017): the squared coefficient of variation of the per-expert load
/// <c>L_e = Σ_t P_te</c> over real tokens, where <c>P</c> is the smooth load estimate of <see cref="NoisyTopK"/>
/// (<see cref="RouterDecision.Load"/>, differentiable) when the decision has one, and the 0/1 selection otherwise
/// (a count: it then carries no gradient and only reports imbalance).
/// </summary>
public sealed record Cv2Load : AuxLoss
{
    /// <inheritdoc/>
    public override string Name => "cv2_load";

    /// <inheritdoc/>
    public override void Validate(int experts)
    {
        base.Validate(experts);
        CoefficientOfVariation.CheckExperts(Name, experts);
    }

    /// <inheritdoc/>
    public override Tensor Compute(RouterDecision decision, Tensor? tokenMask)
    {
        CheckDecision(decision);
        var load = decision.Load ?? decision.Selected.to(decision.Probabilities.dtype);
        return CoefficientOfVariation.Squared(TokenMean.Sum(load, tokenMask));
    }

    /// <inheritdoc/>
    public override string ToSpec() => SpecFormat.Of(Name, ("coef", Coefficient));
}
