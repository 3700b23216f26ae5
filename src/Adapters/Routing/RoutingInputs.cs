using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// What a <see cref="RoutingStrategy"/> needs besides the logits: which rows are real tokens, whether this
/// is a training pass, a random generator, and the per-call tensors that come from router parameters
/// (<see cref="NoiseStd"/> for <see cref="NoisyTopK"/>, <see cref="Thresholds"/> for <see cref="TopAny"/>).
/// </summary>
/// <remarks><see cref="TokenRouter"/> fills <see cref="NoiseStd"/> and <see cref="Thresholds"/> from its own
/// parameters; callers that route logits they computed themselves get them from
/// <see cref="TokenRouter.NoiseStd"/> and <see cref="TokenRouter.Thresholds"/>, or let
/// <see cref="TokenRouter.FromLogits"/> fill what it can.</remarks>
/// <param name="TokenMask">Real tokens <c>[N]</c> (bool or 0/1; null = all real). Padding is excluded from
/// expert-choice capacity, aux losses and statistics; token-choice strategies still route padded rows
/// (their outputs are masked downstream).</param>
/// <param name="Training">True in training passes: noise (noisy top-k, jitter) and expert choice's
/// cross-token routing happen only then.</param>
/// <param name="Noise">Generator for the noise (on the logits' device); null uses the global one.</param>
public sealed record RoutingInputs(Tensor? TokenMask = null, bool Training = false, Generator? Noise = null)
{
    /// <summary>Per-(token, expert) noise standard deviation <c>[N, E]</c> for <see cref="NoisyTopK"/>
    /// (Shazeer's <c>softplus(x·W_noiseᵀ)</c>); required by noisy top-k in training, ignored otherwise.</summary>
    public Tensor? NoiseStd { get; init; }

    /// <summary>Per-expert thresholds <c>[E]</c> in logit units for <see cref="TopAny"/> (DynMoE's trainable
    /// <c>G</c>): expert <c>e</c> is selected where <c>sigmoid(logit) &gt; sigmoid(threshold_e)</c>. Null means 0.</summary>
    public Tensor? Thresholds { get; init; }

    /// <summary>Inputs for a training pass.</summary>
    public static RoutingInputs ForTraining(Tensor? tokenMask = null, Generator? noise = null) => new(tokenMask, true, noise);
}
