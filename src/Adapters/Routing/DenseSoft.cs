using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Dense soft routing (LoRAMoE, MoLoRA): every expert is used with gate <c>p = softmax(logits)</c>.
/// </summary>
public sealed record DenseSoft : RoutingStrategy
{
    /// <inheritdoc/>
    public override string Name => "dense";

    /// <inheritdoc/>
    public override RouterDecision Route(Tensor logits, RoutingInputs inputs)
    {
        CheckLogits(logits);
        var p = logits.softmax(1);
        return new RouterDecision(logits, p, p, ones_like(p));
    }
}
