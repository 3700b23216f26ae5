using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// ReMoE's L1 sparsity loss for <see cref="Relu"/> routing (Wang et al., ICLR 2025): the mean over real tokens of
/// <c>Σ_e |g_te|</c> (the gates are non-negative). With <see cref="LoadBalanced"/>, ReMoE's load-balanced form
/// <c>Σ_e f_e · mean_t g_te</c> with <c>f_e = share of real tokens routed to e / (1 − TargetSparsity)</c> (the paper's
/// <c>E / (k T) · count_e</c> with <c>k = E (1 − TargetSparsity)</c>), which pushes hardest on busy experts.
/// </summary>
/// <remarks>The weight is adaptive: <c>Coefficient · λ</c>, where <see cref="AdaptiveL1Lambda"/> starts at
/// <see cref="InitialLambda"/> and is multiplied by <see cref="Alpha"/> after a step whose observed sparsity (share
/// of zero gates) was below <see cref="TargetSparsity"/>, divided by it when above. <see cref="AuxLossSet"/> keeps
/// that state; <see cref="Compute"/> returns the unweighted L1.</remarks>
/// <param name="TargetSparsity">Share of (token, expert) gates that should be zero, in <c>[0, 1)</c>; ReMoE uses
/// <c>1 − k/E</c> to match a top-k budget.</param>
public sealed record ReluL1(double TargetSparsity) : AuxLoss
{
    /// <inheritdoc/>
    public override string Name => "l1";

    /// <summary>Multiplier of the adaptive λ per step (&gt; 1; ReMoE: 1.2).</summary>
    public double Alpha { get; init; } = 1.2;

    /// <summary>λ before the first step (&gt; 0; ReMoE: 1e-8).</summary>
    public double InitialLambda { get; init; } = 1e-8;

    /// <summary>Use ReMoE's load-balanced L1 instead of the plain mean L1.</summary>
    public bool LoadBalanced { get; init; }

    /// <inheritdoc/>
    public override void Validate(int experts)
    {
        base.Validate(experts);
        if (!(TargetSparsity >= 0 && TargetSparsity < 1))
            throw new ArgumentException($"{Name}: target_sparsity = {TargetSparsity} must be in [0, 1).", nameof(TargetSparsity));
        if (!(Alpha > 1) || double.IsInfinity(Alpha))
            throw new ArgumentException($"{Name}: alpha = {Alpha} must be a number > 1.", nameof(Alpha));
        if (!(InitialLambda > 0) || double.IsInfinity(InitialLambda))
            throw new ArgumentException($"{Name}: lambda0 = {InitialLambda} must be a positive number.", nameof(InitialLambda));
    }

    /// <inheritdoc/>
    public override Tensor Compute(RouterDecision decision, Tensor? tokenMask)
    {
        CheckDecision(decision);
        var magnitude = TokenMean.Of(decision.Gates.abs(), tokenMask);          // mean_t |g_te|  [E]
        if (!LoadBalanced)
            return magnitude.sum();
        var share = TokenMean.Of(decision.Selected.to(magnitude.dtype), tokenMask) / (1 - TargetSparsity);
        return (share * magnitude).sum();
    }

    /// <inheritdoc/>
    public override string ToSpec() => SpecFormat.Of(Name, ("coef", Coefficient), ("target_sparsity", TargetSparsity),
        ("alpha", Alpha), ("lambda0", InitialLambda), ("balanced", LoadBalanced));
}
