using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Ia3;

/// <summary>
/// IA3 (Liu et al., 2022): a learned vector that rescales a projection, initialised to ones (identity). On
/// attention projections it scales the output, <c>y = l ⊙ (W x + b)</c>; on feed-forward down-projections it
/// scales the input, <c>y = W (l ⊙ x) + b</c>. Key as PEFT's: <c>ia3_l</c> ([out], or [1, in] for feed-forward).
/// </summary>
public sealed class Ia3Adapter : ProjectionAdapter
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter ia3_l;
#pragma warning restore IDE1006

    /// <summary>Creates the vector for a projection of the given widths.</summary>
    /// <param name="inFeatures">Host input width.</param>
    /// <param name="outFeatures">Host output width.</param>
    /// <param name="feedForward">Scale the input (feed-forward layers) rather than the output.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    public Ia3Adapter(long inFeatures, long outFeatures, bool feedForward, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(Ia3Adapter))
    {
        FeedForward = feedForward;
        ia3_l = new Parameter(feedForward ? ones(1, inFeatures, dtype: dtype, device: device) : ones(outFeatures, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <summary>True when the input is scaled.</summary>
    public bool FeedForward { get; }

    /// <summary>The scaling vector.</summary>
    public Parameter Vector => ia3_l;

    /// <inheritdoc />
    protected override void OnAttached(IAdapterHost host)
    {
        long expected = FeedForward ? host.Weight.shape[1] : host.Weight.shape[0];
        if (host.IsEmbedding || ia3_l.shape[^1] != expected)
            throw new ArgumentException($"IA3 vector of length {ia3_l.shape[^1]} does not fit a projection of shape [{host.Weight.shape[0]}, {host.Weight.shape[1]}].");
    }

    /// <inheritdoc />
    public override Tensor Apply(Tensor input, Tensor baseOutput, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        if (!FeedForward)
            return (baseOutput * ia3_l.to(baseOutput.dtype)).MoveToOuterDisposeScope();
        // W (l ⊙ x) + b = W x + b + W ((l - 1) ⊙ x): only the change is computed on top of the frozen output.
        var host = Host ?? throw new InvalidOperationException("IA3 needs its host projection; attach it first.");
        var change = nn.functional.linear(input * (ia3_l - 1).to(input.dtype), host.Weight);
        return (baseOutput + change).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override bool CanMerge => FeedForward || Host?.Bias is null;

    /// <inheritdoc />
    public override Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        var weight = (Host ?? throw new InvalidOperationException("IA3 needs its host projection.")).Weight;
        var factor = FeedForward ? ia3_l - 1 : (ia3_l - 1).unsqueeze(1);           // [1, in] or [out, 1]
        return (weight * factor.to(weight.dtype)).MoveToOuterDisposeScope();
    }
}
