using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Lora;

/// <summary>
/// LoRA on a linear projection: <c>y = W x + b + s · B A dropout(x)</c>, or DoRA, which rescales each output row of
/// the adapted weight to a learned magnitude: <c>y = m / ‖W + s·BA‖ ⊙ (W + s·BA) x + b</c> (the norm detached, as in
/// the paper and PEFT). Keys as PEFT's: <c>lora_A.weight</c> [r, in], <c>lora_B.weight</c> [out, r],
/// <c>lora_magnitude_vector</c> [out] (DoRA).
/// </summary>
public sealed class LoraLinear : ProjectionAdapter
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Linear lora_A, lora_B;
    private readonly Parameter? lora_magnitude_vector;
#pragma warning restore IDE1006
    private readonly Dropout? dropout;
    private Tensor? mergedNorm;   // DoRA, while merged: the row norms the merge divided by

    /// <summary>Creates the adapter.</summary>
    /// <param name="inFeatures">Input width of the host.</param>
    /// <param name="outFeatures">Output width of the host.</param>
    /// <param name="rank">r.</param>
    /// <param name="scale">s (alpha / r, or alpha / √r).</param>
    /// <param name="dropout">Dropout probability on the adapter input.</param>
    /// <param name="useDora">Weight-decomposed LoRA.</param>
    /// <param name="init">How A (and B) start.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for reproducible initialisation.</param>
    public LoraLinear(long inFeatures, long outFeatures, int rank, double scale, double dropout = 0, bool useDora = false,
        LoraInit init = LoraInit.Kaiming, ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null)
        : base(nameof(LoraLinear))
    {
        if (rank <= 0)
            throw new ArgumentOutOfRangeException(nameof(rank), $"LoRA rank must be positive, got {rank}.");
        Rank = rank;
        Scale = scale;
        scaleScalar = scale.ToScalar();
        UseDora = useDora;
        lora_A = nn.Linear(inFeatures, rank, hasBias: false, device: device, dtype: dtype);
        lora_B = nn.Linear(rank, outFeatures, hasBias: false, device: device, dtype: dtype);
        using (no_grad())
        {
            if (init == LoraInit.Gaussian)
                lora_A.weight!.normal_(0, 1.0 / rank, generator);
            else
                lora_A.weight!.uniform_(-1 / Math.Sqrt(inFeatures), 1 / Math.Sqrt(inFeatures), generator); // kaiming_uniform(a=√5)
            if (init == LoraInit.Random)
                lora_B.weight!.uniform_(-1 / Math.Sqrt(rank), 1 / Math.Sqrt(rank), generator);
            else
                lora_B.weight!.zero_();
        }
        if (useDora)
            lora_magnitude_vector = new Parameter(ones(outFeatures, dtype: dtype, device: device));
        if (dropout > 0)
            this.dropout = nn.Dropout(dropout);
        RegisterComponents();
    }

    /// <summary>r.</summary>
    public int Rank { get; }

    /// <summary>s.</summary>
    public double Scale { get; }

    private readonly Scalar scaleScalar;   // held by the module (see LiveScalars)

    /// <summary>True for DoRA.</summary>
    public bool UseDora { get; }

    /// <summary>A <c>[r, in]</c>.</summary>
    public Parameter A => lora_A.weight!;

    /// <summary>B <c>[out, r]</c>.</summary>
    public Parameter B => lora_B.weight!;

    /// <summary>DoRA's magnitude <c>[out]</c>, or null.</summary>
    public Parameter? Magnitude => lora_magnitude_vector;

    /// <inheritdoc />
    protected override void OnAttached(IAdapterHost host)
    {
        if (host.IsEmbedding)
            throw new ArgumentException("LoraLinear attaches to linear projections; use LoraEmbedding for embeddings.");
        var expected = new[] { B.shape[0], A.shape[1] };
        if (host.Weight.shape[0] != expected[0] || host.Weight.shape[1] != expected[1])
            throw new ArgumentException($"LoRA of shape [{expected[0]}, {expected[1]}] does not fit a projection of shape [{host.Weight.shape[0]}, {host.Weight.shape[1]}].");
        if (lora_magnitude_vector is not null)
        {
            // DoRA starts at the identity: m = ‖W + s·BA‖ row-wise (= ‖W‖ while B is zero).
            using var _ = no_grad();
            using var norm = WeightNorm(host.Weight);
            lora_magnitude_vector.copy_(norm.to(lora_magnitude_vector.dtype));
        }
    }

    /// <inheritdoc />
    public override Tensor Apply(Tensor input, Tensor baseOutput, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var x = dropout is not null && training ? dropout.call(input) : input;
        var delta = lora_B.call(lora_A.call(x.to(A.dtype))).mul(scaleScalar);          // [..., out]
        if (lora_magnitude_vector is null)
            return baseOutput.add(delta.to(baseOutput.dtype), LiveScalars.One).MoveToOuterDisposeScope();
        var host = Host ?? throw new InvalidOperationException("DoRA needs its host projection; attach it first.");
        var weightNorm = WeightNorm(host.Weight).detach();                                // [out]
        var magnitudeScale = lora_magnitude_vector / weightNorm;                           // [out]
        // The frozen path without bias: reuse it when the adapter saw the same input, else recompute on the dropped input.
        var basePart = ReferenceEquals(x, input)
            ? (host.Bias is null ? baseOutput : baseOutput - host.Bias)
            : nn.functional.linear(x, host.Weight);
        var result = baseOutput + ((magnitudeScale - 1) * basePart + magnitudeScale * delta).to(baseOutput.dtype);
        return result.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override bool CanMerge => true;

    /// <inheritdoc />
    public override Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        var lora = B.matmul(A) * Scale;                                                    // [out, in]
        if (lora_magnitude_vector is null)
            return lora.MoveToOuterDisposeScope();
        var weight = (Host ?? throw new InvalidOperationException("DoRA needs its host projection.")).Weight;
        var adapted = weight.to(lora.dtype) + lora;
        var scaled = (lora_magnitude_vector / adapted.norm(1, keepdim: true).squeeze(1)).unsqueeze(1) * adapted;
        return (scaled - weight.to(lora.dtype)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    /// <remarks>DoRA replaces each row: <c>W ← m / ‖W + s·BA‖ ⊙ (W + s·BA)</c>, keeping the norm to undo it (as PEFT does).</remarks>
    protected override void MergeInto(Tensor weight)
    {
        if (lora_magnitude_vector is null)
        {
            base.MergeInto(weight);
            return;
        }
        using var scope = NewDisposeScope();
        var adapted = weight + B.matmul(A) * Scale;                                        // [out, in], the wider dtype
        var norm = adapted.norm(1);                                                        // [out]
        weight.copy_((lora_magnitude_vector / norm).unsqueeze(1) * adapted);
        mergedNorm?.Dispose();
        mergedNorm = norm.DetachFromDisposeScope();
    }

    /// <inheritdoc />
    /// <remarks>DoRA: <c>W = W' / (m / ‖W + s·BA‖) − s·BA</c> with the norm kept at merge time.</remarks>
    protected override void UnmergeFrom(Tensor weight)
    {
        if (lora_magnitude_vector is null)
        {
            base.UnmergeFrom(weight);
            return;
        }
        var norm = mergedNorm ?? throw new InvalidOperationException("DoRA adapter is not merged; nothing to unmerge.");
        using (var scope = NewDisposeScope())
            weight.copy_(weight / (lora_magnitude_vector / norm).unsqueeze(1) - B.matmul(A) * Scale);
        norm.Dispose();
        mergedNorm = null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            mergedNorm?.Dispose();
            mergedNorm = null;
        }
        base.Dispose(disposing);
    }

    // ‖W + s·BA‖ over the input dimension: [out]
    private Tensor WeightNorm(Tensor weight)
    {
        using var scope = NewDisposeScope();
        var adapted = weight.to(A.dtype) + B.matmul(A) * Scale;
        return adapted.norm(1).MoveToOuterDisposeScope();
    }
}
