using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Importance loss (Shazeer et al. 2017): <c>CV²</c> of the importance <c>I_e = Σ_t p_te</c> over real tokens
/// (see <see cref="Cv2Loss"/>). It reads <c>p = softmax(logits)</c> (a smooth signal for every expert); the paper
/// sums the gates, which for its noisy top-k are the softmax over the kept experts. Pair it with
/// <see cref="Cv2Load"/> for the paper's load term.
/// </summary>
public sealed record Cv2Importance : Cv2Loss
{
    /// <inheritdoc/>
    public override string Name => "cv2";

    /// <inheritdoc/>
    protected override Tensor PerToken(RouterDecision decision) => decision.Probabilities;
}
