using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Softmax-then-top-k token choice (Switch Transformer with <c>K = 1</c>, GShard, most MoE-LoRA papers):
/// <c>p = softmax(logits)</c>, each token keeps its <c>K</c> largest <c>p</c>; the gates are those <c>p</c>,
/// divided by their sum when <see cref="Renormalize"/> (so they sum to 1 per token).
/// </summary>
/// <param name="K">Experts per token, <c>1 ≤ K ≤ E</c>.</param>
/// <param name="Renormalize">Whether the kept probabilities are renormalised to sum to 1.</param>
public sealed record SoftmaxTopK(int K, bool Renormalize = false) : RoutingStrategy
{
    /// <inheritdoc/>
    public override string Name => "softmax_topk";

    /// <inheritdoc/>
    public override void Validate(int experts) => Gating.CheckK(Name, K, experts);

    /// <inheritdoc/>
    public override RouterDecision Route(Tensor logits, RoutingInputs inputs)
    {
        CheckLogits(logits);
        var p = logits.softmax(1);                 // [N, E]
        var selected = Gating.TopKMask(p, K);       // [N, E] 0/1
        var gates = p * selected;
        if (Renormalize)
            gates = Gating.Renormalize(gates);
        return new RouterDecision(logits, p, gates, selected);
    }

    /// <inheritdoc/>
    public override string ToSpec() => SpecFormat.Of(Name, ("k", K), ("renorm", Renormalize));
}
