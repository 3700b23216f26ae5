using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Top-any gating (DynMoE, Guo et al. 2024, "Dynamic mixture of experts: an auto-tuning approach for
/// efficient transformer models"): scores <c>s = sigmoid(logits)</c> where the logits are cosine similarities
/// between the token and each expert's key (<see cref="Scoring"/> = <see cref="RouterScoring.Cosine"/>, divided by
/// the router temperature), compared with trainable per-expert thresholds <c>g = sigmoid(θ)</c>
/// (<see cref="RoutingInputs.Thresholds"/>; the router owns θ, key <c>thresholds</c>, zero-initialised). Every expert
/// with <c>s &gt; g</c> is selected; a token that clears no threshold gets its highest-scoring expert, so every token
/// has at least one. The selected experts are averaged: <c>gates = selected / count</c>.
/// </summary>
/// <remarks>Selection is a step function; as in DynMoE, gradients pass straight through it: the gate's
/// forward value is <c>selected / count</c> and its gradient is that of <c>selected ⊙ (s − g) / count</c>, so the
/// router's keys and the thresholds both learn.</remarks>
public sealed record TopAny : RoutingStrategy
{
    /// <inheritdoc/>
    public override string Name => "top_any";

    /// <inheritdoc/>
    public override RouterScoring Scoring => RouterScoring.Cosine;

    /// <inheritdoc/>
    public override bool UsesThresholds => true;

    /// <inheritdoc/>
    public override RouterDecision Route(Tensor logits, RoutingInputs inputs)
    {
        int experts = CheckLogits(logits);
        var thresholds = inputs.Thresholds ?? zeros(experts, dtype: logits.dtype, device: logits.device);
        if (thresholds.numel() != experts)
            throw new ArgumentException($"{Name}: Thresholds must have one value per expert ({experts}), got [{string.Join(", ", thresholds.shape)}].");

        var margin = logits.sigmoid() - thresholds.reshape(1, experts).to(logits.dtype).sigmoid();  // s − g [N, E]
        var cleared = margin.gt(0);                                                              // [N, E]
        var none = cleared.any(1, keepdim: true).logical_not();                                 // [N, 1]
        var best = Gating.MaskAt(logits, logits.argmax(1, keepdim: true)).gt(0);                // top-1 [N, E]
        var selected = cleared.logical_or(best.logical_and(none)).to(logits.dtype);              // ≥ 1 per token
        var count = selected.sum(1, keepdim: true);                                              // [N, 1] ≥ 1
        var straightThrough = 1 + margin - margin.detach();                                      // value 1, gradient of margin
        var gates = selected * straightThrough / count;
        return new RouterDecision(logits, logits.softmax(1), gates, selected);
    }
}
