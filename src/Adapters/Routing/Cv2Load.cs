using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Load loss (Shazeer et al. 2017): <c>CV²</c> of the per-expert load <c>L_e = Σ_t P_te</c> over real tokens
/// (see <see cref="Cv2Loss"/>), where <c>P</c> is the smooth load estimate of <see cref="NoisyTopK"/>
/// (<see cref="RouterDecision.Load"/>, differentiable) when the decision has one, and the 0/1 selection otherwise
/// (a count: it then carries no gradient and only reports imbalance).
/// </summary>
public sealed record Cv2Load : Cv2Loss
{
    /// <inheritdoc/>
    public override string Name => "cv2_load";

    /// <inheritdoc/>
    protected override Tensor PerToken(RouterDecision decision) =>
        decision.Load ?? decision.Selected.to(decision.Probabilities.dtype);
}
