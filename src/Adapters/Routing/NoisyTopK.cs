using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Noisy top-k gating (Shazeer et al. 2017, "Outrageously large neural networks"): in training
/// <c>H = logits + ε ⊙ std</c> with <c>ε ~ N(0, 1)</c> and <c>std = softplus(x·W_noiseᵀ)</c>; each token keeps
/// its <c>K</c> largest <c>H</c> and the gates are the softmax over those <c>K</c> (<c>Softmax(KeepTopK(H, K))</c>).
/// Outside training no noise is added (it is then <see cref="TopKSoftmax"/>).
/// </summary>
/// <remarks>
/// <para>Design: the strategy stays parameter-free. The noise projection <c>W_noise</c> belongs to the router
/// (<see cref="TokenRouter"/> key <c>noise_weight</c>, zero-initialised as in the paper, so <c>std</c> starts at
/// <c>softplus(0) ≈ 0.69</c>), which passes <c>std</c> <c>[N, E]</c> in <see cref="RoutingInputs.NoiseStd"/>.
/// The noise comes from <see cref="RoutingInputs.Noise"/> (a seeded generator makes it reproducible).</para>
/// <para>In training the decision also carries the paper's smooth load estimate <see cref="RouterDecision.Load"/>:
/// <c>P_te = Φ((logits_te − kth_excluding(H)_te) / std_te)</c>, where the threshold is the K-th largest noisy
/// score among the other experts (the (K+1)-th of all when <c>e</c> is selected, the K-th otherwise); with
/// <c>K = E</c> every expert is always selected and <c>P = 1</c>. <see cref="Cv2Load"/> reads it.</para>
/// </remarks>
/// <param name="K">Experts per token, <c>1 ≤ K ≤ E</c>.</param>
public sealed record NoisyTopK(int K) : RoutingStrategy
{
    /// <inheritdoc/>
    public override string Name => "noisy_topk";

    /// <inheritdoc/>
    public override bool UsesNoiseStd => true;

    /// <inheritdoc/>
    public override void Validate(int experts) => Gating.CheckK(Name, K, experts);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Training without <see cref="RoutingInputs.NoiseStd"/>.</exception>
    public override RouterDecision Route(Tensor logits, RoutingInputs inputs)
    {
        int experts = CheckLogits(logits);
        var p = logits.softmax(1);
        if (!inputs.Training)
        {
            var cleanSelected = Gating.TopKMask(logits, K);
            return new RouterDecision(logits, p, Gating.SoftmaxOver(logits, cleanSelected), cleanSelected);
        }
        var std = inputs.NoiseStd ?? throw new InvalidOperationException(
            $"{Name}: training needs RoutingInputs.NoiseStd [tokens, experts] (softplus(x·W_noiseᵀ)); TokenRouter.Forward " +
            "computes it, callers of TokenRouter.FromLogits pass TokenRouter.NoiseStd(x) or let FromLogits fill it from x.");
        if (!std.shape.SequenceEqual(logits.shape))
            throw new ArgumentException($"{Name}: NoiseStd must be [{string.Join(", ", logits.shape)}] like the logits, got [{string.Join(", ", std.shape)}].");

        var scale = std.to(logits.dtype);
        var eps = randn(logits.shape, dtype: logits.dtype, device: logits.device, generator: inputs.Noise);
        var noisy = logits + eps * scale;                     // H [N, E]
        var selected = Gating.TopKMask(noisy, K);             // [N, E] 0/1
        var gates = Gating.SoftmaxOver(noisy, selected);
        return new RouterDecision(logits, p, gates, selected) { Load = SmoothLoad(logits, noisy, scale, selected, experts) };
    }

    /// <summary>Φ((clean − threshold) / std) per (token, expert), the threshold being the K-th largest noisy
    /// score among the other experts.</summary>
    private Tensor SmoothLoad(Tensor clean, Tensor noisy, Tensor std, Tensor selected, int experts)
    {
        if (K == experts)
            return ones_like(clean);
        var (top, _) = noisy.topk(K + 1, dim: 1);             // [N, K+1], descending
        var ifIn = top.narrow(1, K, 1);                       // (K+1)-th largest  [N, 1]
        var ifOut = top.narrow(1, K - 1, 1);                  // K-th largest      [N, 1]
        var threshold = where(selected.gt(0), ifIn, ifOut);   // [N, E]
        return special.ndtr((clean - threshold) / std);
    }

    /// <inheritdoc/>
    public override string ToSpec() => SpecFormat.Of(Name, ("k", K));
}
