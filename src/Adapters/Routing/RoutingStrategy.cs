using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// How a router turns logits <c>[N, E]</c> into a gate matrix: immutable options, one record per kind,
/// chosen from the table in <see cref="RoutingStrategies"/>. Strategies hold no parameters; what they need
/// from the router's parameters (noise scales, thresholds) comes in <see cref="RoutingInputs"/>.
/// </summary>
/// <remarks>
/// Ties between equal scores are broken as <c>torch.topk</c> / <c>torch.sort</c> break them (the sort is
/// stable where a strategy sorts, so the lower expert index wins); exact ties are rare with real logits.
/// No strategy synchronises with the device: every count, capacity and threshold stays a tensor.
/// </remarks>
public abstract record RoutingStrategy
{
    /// <summary>The strategy's name in specs, e.g. <c>softmax_topk</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Routes <c>N</c> tokens. </summary>
    /// <param name="logits">Router logits <c>[N, E]</c> (float32, or the model dtype when the router does
    /// not compute in float32); the decision keeps their dtype.</param>
    /// <param name="inputs">Token mask, training flag, noise and parameter-derived tensors.</param>
    /// <returns>The decision; its tensors belong to the caller's dispose scope.</returns>
    /// <exception cref="ArgumentException">The logits are not 2-D, or the options do not fit their expert count.</exception>
    public abstract RouterDecision Route(Tensor logits, RoutingInputs inputs);

    /// <summary>True when a token's gates depend on the other tokens of the call (expert choice): such a
    /// strategy cannot route a causal decoder's tokens one at a time.</summary>
    public virtual bool LooksAcrossTokens => false;

    /// <summary>How the router computes the logits this strategy expects.</summary>
    public virtual RouterScoring Scoring => RouterScoring.Linear;

    /// <summary>True when the strategy needs <see cref="RoutingInputs.NoiseStd"/> in training (the router then
    /// owns a noise projection).</summary>
    public virtual bool UsesNoiseStd => false;

    /// <summary>True when the strategy reads <see cref="RoutingInputs.Thresholds"/> (the router then owns
    /// trainable per-expert thresholds).</summary>
    public virtual bool UsesThresholds => false;

    /// <summary>Checks the options against an expert count.</summary>
    /// <param name="experts">Number of experts <c>E</c>.</param>
    /// <exception cref="ArgumentException">Naming the strategy and the option that does not fit.</exception>
    public virtual void Validate(int experts)
    {
        if (experts < 1)
            throw new ArgumentException($"{Name}: the number of experts must be at least 1, got {experts}.", nameof(experts));
    }

    /// <summary>The spec that <see cref="RoutingStrategies.Parse"/> reads back into an equal record,
    /// e.g. <c>softmax_topk:k=2,renorm=true</c> (the bare name for strategies without options).</summary>
    public virtual string ToSpec() => Name;

    /// <summary>Checks that <paramref name="logits"/> is <c>[N, E]</c>, validates the options for <c>E</c>, and
    /// returns <c>E</c>.</summary>
    protected int CheckLogits(Tensor logits)
    {
        if (logits.dim() != 2)
            throw new ArgumentException($"{Name}: logits must be [tokens, experts], got [{string.Join(", ", logits.shape)}].", nameof(logits));
        int experts = (int)logits.shape[1];
        Validate(experts);
        return experts;
    }
}
