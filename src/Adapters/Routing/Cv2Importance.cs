using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Importance loss (Shazeer et al. 2017): the squared coefficient of variation of the importance
/// <c>I_e = Σ_t p_te</c> over real tokens, <c>CV²(I) = var(I) / (mean(I)² + 1e-10)</c> with the unbiased variance.
/// It reads <c>p = softmax(logits)</c> (a smooth signal for every expert); the paper sums the gates, which for its
/// noisy top-k are the softmax over the kept experts. Pair it with <see cref="Cv2Load"/> for the paper's load term.
/// </summary>
public sealed record Cv2Importance : AuxLoss
{
    /// <inheritdoc/>
    public override string Name => "cv2";

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
        return CoefficientOfVariation.Squared(TokenMean.Sum(decision.Probabilities, tokenMask));
    }

    /// <inheritdoc/>
    public override string ToSpec() => SpecFormat.Of(Name, ("coef", Coefficient));
}
