using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// ReLU routing (ReMoE, Wang et al., ICLR 2025): <c>gates = relu(logits)</c>, no softmax; a (token, expert)
/// pair is selected where its logit is positive, so the number of experts per token varies. Sparsity is
/// driven by the L1 loss <see cref="ReluL1"/> with its adaptive coefficient (<see cref="AdaptiveL1Lambda"/>).
/// </summary>
/// <remarks>Initialise the router with small random weights (the default <see cref="RouterOptions.InitStd"/>):
/// with zero weights every gate is 0 and ReLU passes no gradient.</remarks>
public sealed record Relu : RoutingStrategy
{
    /// <inheritdoc/>
    public override string Name => "relu";

    /// <inheritdoc/>
    public override RouterDecision Route(Tensor logits, RoutingInputs inputs)
    {
        CheckLogits(logits);
        var gates = nn.functional.relu(logits);
        return new RouterDecision(logits, logits.softmax(1), gates, logits.gt(0).to(logits.dtype));
    }
}
