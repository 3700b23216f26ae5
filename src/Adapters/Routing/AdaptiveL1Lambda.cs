using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// ReMoE's adaptive L1 coefficient λ for one <see cref="ReluL1"/> loss, kept on the device: forward passes
/// <see cref="Observe"/> the sparsity of the (detached) selection, and <see cref="Step"/> (once per optimiser step)
/// sets <c>λ ← λ · α^sign(target − mean observed sparsity)</c>. Everything is a tensor op: nothing synchronises
/// with the host until <see cref="Read"/> is called.
/// </summary>
/// <remarks>One instance shared by every layer gives ReMoE's single global λ (sparsity averaged over layers);
/// one per layer gives per-layer control. Not thread-safe.</remarks>
public sealed class AdaptiveL1Lambda : IDisposable
{
    private readonly Tensor lambda;
    private readonly Tensor sparsitySum;
    private readonly Tensor observations;

    /// <summary>Starts at <see cref="ReluL1.InitialLambda"/>.</summary>
    /// <param name="options">The loss options (validated with at least one expert).</param>
    /// <param name="device">Where the state lives (the router's device; CPU when null).</param>
    public AdaptiveL1Lambda(ReluL1 options, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(1);
        Options = options;
        lambda = full(Array.Empty<long>(), options.InitialLambda, dtype: ScalarType.Float32, device: device).DetachFromDisposeScope();
        sparsitySum = zeros(Array.Empty<long>(), dtype: ScalarType.Float32, device: device).DetachFromDisposeScope();
        observations = zeros(Array.Empty<long>(), dtype: ScalarType.Float32, device: device).DetachFromDisposeScope();
    }

    /// <summary>The loss options.</summary>
    public ReluL1 Options { get; }

    /// <summary>The current λ, a 0-d float32 tensor on the state's device (no gradient; do not dispose).</summary>
    public Tensor Value => lambda;

    /// <summary>The device the state lives on.</summary>
    public Device Device => lambda.device;

    /// <summary>Accumulates the sparsity <c>1 − selected / (real tokens · E)</c> of a decision (detached).</summary>
    /// <param name="decision">A decision (its <see cref="RouterDecision.Selected"/> is read).</param>
    /// <param name="tokenMask">Real tokens <c>[N]</c>, or null.</param>
    public void Observe(RouterDecision decision, Tensor? tokenMask)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var active = TokenMean.Of(decision.Selected.detach().to(ScalarType.Float32), tokenMask).mean();   // share of non-zero gates
        sparsitySum.add_((1 - active).to(lambda.device));
        observations.add_(1);
    }

    /// <summary>Updates λ from the mean sparsity observed since the last step and forgets the observations
    /// (λ is unchanged when nothing was observed or the sparsity equals the target).</summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var mean = sparsitySum / observations.clamp_min(1);
        var direction = (Options.TargetSparsity - mean).sign() * observations.gt(0).to(ScalarType.Float32);   // −1, 0 or 1
        lambda.mul_(pow(Options.Alpha, direction));
        sparsitySum.zero_();
        observations.zero_();
    }

    /// <summary>Reads λ to the host (a synchronisation: for logging, not for forward passes).</summary>
    public double Read() => lambda.cpu().item<float>();

    /// <inheritdoc/>
    public void Dispose()
    {
        lambda.Dispose();
        sparsitySum.Dispose();
        observations.Dispose();
    }
}
