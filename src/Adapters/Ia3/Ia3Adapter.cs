using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Ia3;

/// <summary>
/// IA3 (Liu et al., 2022): a learned vector that rescales a projection, initialised to ones (identity). On
/// attention projections it scales the output, <c>y = l ⊙ (W x + b)</c>; on feed-forward down-projections it
/// scales the input, <c>y = W (l ⊙ x) + b</c>. Key and shapes as PEFT's: <c>ia3_l</c> <c>[out, 1]</c>, or
/// <c>[1, in]</c> for feed-forward.
/// </summary>
/// <remarks>Merging multiplies the weight's rows (output mode, and the bias with them) or columns (feed-forward)
/// by <c>l</c>; unmerging divides again, which is exact up to rounding while no element of <c>l</c> is near zero.</remarks>
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
    /// <param name="randomInit">Start from N(0, 1) instead of ones (PEFT's <c>init_ia3_weights=false</c>, for tests).</param>
    /// <param name="generator">Seeded generator for <paramref name="randomInit"/>.</param>
    public Ia3Adapter(long inFeatures, long outFeatures, bool feedForward, ScalarType dtype = ScalarType.Float32, Device? device = null,
        bool randomInit = false, Generator? generator = null)
        : base(nameof(Ia3Adapter))
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"IA3 widths must be positive (in {inFeatures}, out {outFeatures}).");
        FeedForward = feedForward;
        ia3_l = new Parameter(feedForward ? ones(1, inFeatures, dtype: dtype, device: device) : ones(outFeatures, 1, dtype: dtype, device: device));
        if (randomInit)
            using (no_grad())
                ia3_l.normal_(0, 1, generator);
        RegisterComponents();
    }

    /// <summary>True when the input is scaled.</summary>
    public bool FeedForward { get; }

    /// <summary>The scaling vector: <c>[out, 1]</c>, or <c>[1, in]</c> in feed-forward mode.</summary>
    public Parameter Vector => ia3_l;

    /// <inheritdoc />
    protected override void OnAttached(IAdapterHost host)
    {
        if (host.IsEmbedding)
            throw new ArgumentException("IA3 attaches to linear projections, not to embeddings.");
        long expected = FeedForward ? host.Weight.shape[1] : host.Weight.shape[0];
        if (ia3_l.numel() != expected)
            throw new ArgumentException($"IA3 vector of shape [{string.Join(", ", ia3_l.shape)}] ({(FeedForward ? "feed-forward: scales the input" : "scales the output")}) " +
                                        $"does not fit a projection of shape [{host.Weight.shape[0]}, {host.Weight.shape[1]}].");
    }

    /// <inheritdoc />
    public override Tensor Apply(Tensor input, Tensor baseOutput, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        if (!FeedForward)
            return (baseOutput * ia3_l.flatten().to(baseOutput.dtype)).MoveToOuterDisposeScope();
        // W (l ⊙ x) + b = W x + b + W ((l - 1) ⊙ x): only the change is computed on top of the frozen output.
        var host = Host ?? throw new InvalidOperationException("IA3 needs its host projection; attach it first.");
        var change = nn.functional.linear(input * (ia3_l - 1).to(input.dtype), host.Weight);
        return (baseOutput + change).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override bool CanMerge => true;

    /// <inheritdoc />
    /// <remarks>The weight part only: in output mode a host bias is scaled too, which <see cref="MergeInto"/> does.</remarks>
    public override Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        var weight = RequireHost().Weight;
        return (weight * (ia3_l - 1).to(weight.dtype)).MoveToOuterDisposeScope();   // ia3_l broadcasts: [out, 1] or [1, in]
    }

    /// <inheritdoc />
    protected override void MergeInto(Tensor weight)
    {
        using var scope = NewDisposeScope();
        weight.copy_(weight * ia3_l);
        if (!FeedForward && RequireHost().Bias is { } bias)
            bias.copy_(bias * ia3_l.flatten());
    }

    /// <inheritdoc />
    protected override void UnmergeFrom(Tensor weight)
    {
        using var scope = NewDisposeScope();
        weight.copy_(weight / ia3_l);
        if (!FeedForward && RequireHost().Bias is { } bias)
            bias.copy_(bias / ia3_l.flatten());
    }

    private IAdapterHost RequireHost() => Host ?? throw new InvalidOperationException("IA3 needs its host projection; attach it first.");
}
