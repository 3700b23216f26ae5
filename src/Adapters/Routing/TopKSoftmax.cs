using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Top-k-then-softmax token choice (Mixtral): each token keeps its <c>K</c> largest logits and the gates are
/// the softmax over those <c>K</c> logits alone (equal to renormalised <see cref="SoftmaxTopK"/> up to rounding).
/// </summary>
/// <param name="K">Experts per token, <c>1 ≤ K ≤ E</c>.</param>
public sealed record TopKSoftmax(int K) : RoutingStrategy
{
    /// <inheritdoc/>
    public override string Name => "topk_softmax";

    /// <inheritdoc/>
    public override void Validate(int experts) => Gating.CheckK(Name, K, experts);

    /// <inheritdoc/>
    public override RouterDecision Route(Tensor logits, RoutingInputs inputs)
    {
        CheckLogits(logits);
        var selected = Gating.TopKMask(logits, K);               // [N, E] 0/1
        var gates = Gating.SoftmaxOver(logits, selected);          // [N, E], zero off the top K
        return new RouterDecision(logits, logits.softmax(1), gates, selected);
    }

    /// <inheritdoc/>
    public override string ToSpec() => SpecFormat.Of(Name, ("k", K));
}
