using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>Per-expert sums over the real tokens of one decision, detached, in one dtype (no host synchronisation).</summary>
/// <param name="Weights">Real-token weights <c>[N, 1]</c> (1 real, 0 padding).</param>
/// <param name="Selected">Selected pairs, padding zeroed <c>[N, E]</c>.</param>
/// <param name="Counts">Tokens routed to each expert <c>[E]</c>.</param>
/// <param name="ProbabilitySum">Sum of <c>p</c> per expert <c>[E]</c>.</param>
/// <param name="GateSum">Sum of gates per expert <c>[E]</c>.</param>
/// <param name="Tokens">Number of real tokens (0-d).</param>
internal sealed record DecisionTotals(Tensor Weights, Tensor Selected, Tensor Counts, Tensor ProbabilitySum, Tensor GateSum, Tensor Tokens)
{
    /// <summary>Totals of <paramref name="decision"/> in <paramref name="dtype"/>; call under <c>no_grad</c> in a dispose scope.</summary>
    public static DecisionTotals Of(RouterDecision decision, Tensor? tokenMask, ScalarType dtype)
    {
        var weights = tokenMask is null
            ? ones(decision.Tokens, 1, dtype: dtype, device: decision.Gates.device)
            : TokenMean.Weights(tokenMask, decision.Gates)!.to(dtype);
        var selected = decision.Selected.detach().to(dtype) * weights;
        return new DecisionTotals(weights, selected, selected.sum(dim: 0),
            (decision.Probabilities.detach().to(dtype) * weights).sum(dim: 0),
            (decision.Gates.detach().to(dtype) * weights).sum(dim: 0),
            weights.sum());
    }
}
