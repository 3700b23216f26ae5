using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Shazeer et al. (2017)'s balance losses: the squared coefficient of variation of a per-expert total over real
/// tokens, <c>CV²(x) = var(x) / (mean(x)² + 1e-10)</c> with the unbiased variance (so E ≥ 2). The two kinds differ
/// in what they total: <see cref="Cv2Importance"/> and <see cref="Cv2Load"/>.
/// </summary>
public abstract record Cv2Loss : AuxLoss
{
    /// <inheritdoc/>
    public override void Validate(int experts)
    {
        base.Validate(experts);
        if (experts < 2)
            throw new ArgumentException($"{Name}: CV² needs at least 2 experts (unbiased variance), got {experts}.", nameof(experts));
    }

    /// <inheritdoc/>
    public override Tensor Compute(RouterDecision decision, Tensor? tokenMask)
    {
        CheckDecision(decision);
        var totals = TokenMean.Sum(PerToken(decision), tokenMask);    // [E]
        var mean = totals.mean();
        return totals.var(unbiased: true) / (mean * mean + 1e-10);
    }

    /// <summary>The per-(token, expert) quantity <c>[N, E]</c> whose per-expert totals are compared.</summary>
    protected abstract Tensor PerToken(RouterDecision decision);
}
