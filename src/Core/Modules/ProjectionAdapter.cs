using static TorchSharp.torch;

namespace MMAdapt.Core.Modules;

/// <summary>
/// Something attached to an <see cref="AdaptableLinear"/> or <see cref="AdaptableEmbedding"/> that
/// changes its output: a LoRA, a mixture of LoRA experts with its router, a modality gate, and so on.
/// </summary>
/// <remarks>
/// The projection computes its frozen output <c>y = base(x)</c> once, then hands <c>x</c> and <c>y</c>
/// to each enabled adapter in attachment order: <c>y = adapter.Apply(x, y, context)</c>. Adapters whose
/// effect is a weight delta (LoRA, DoRA without magnitude changes) can be merged into the base weight.
/// </remarks>
public abstract class ProjectionAdapter : nn.Module
{
    /// <summary>Creates the adapter; <paramref name="name"/> is its module type name.</summary>
    protected ProjectionAdapter(string name) : base(name) { }

    private readonly HostReference host = new();

    /// <summary>The layer this adapter is attached to (set when attached).</summary>
    public IAdapterHost? Host => host.Value;

    /// <summary>Called when the adapter is attached; checks that it fits the host.</summary>
    /// <exception cref="ArgumentException">The adapter's shapes do not fit the host (the message names both).</exception>
    public void AttachTo(IAdapterHost host)
    {
        if (Host is not null && !ReferenceEquals(Host, host))
            throw new InvalidOperationException($"{GetName()} is already attached to another layer.");
        OnAttached(host);
        this.host.Value = host;
    }

    /// <summary>Override to check shapes against the host or initialise from its weights (DoRA's magnitude).</summary>
    protected virtual void OnAttached(IAdapterHost host) { }

    /// <summary>Returns the adapted output.</summary>
    /// <param name="input">The projection's input: <c>[..., in]</c> for linear layers, token ids for embeddings.</param>
    /// <param name="baseOutput">The output so far: <c>[..., out]</c>.</param>
    /// <param name="context">The forward context (modalities, routing keys, aux sink), or null.</param>
    public abstract Tensor Apply(Tensor input, Tensor baseOutput, ForwardContext? context);

    /// <summary>True when the adapter's whole effect can be folded into the host's weights (see <see cref="MergeInto"/>).</summary>
    public virtual bool CanMerge => false;

    /// <summary>The weight change <c>[out, in]</c> (embedding: <c>[vocab, hidden]</c>) merging folds in, computed
    /// from the unmerged base weight.</summary>
    /// <exception cref="NotSupportedException">The adapter cannot be merged.</exception>
    public virtual Tensor DeltaWeight() =>
        throw new NotSupportedException($"{GetName()} cannot be merged into the base weight.");

    /// <summary>
    /// Folds this adapter into the host's <paramref name="weight"/> (called by <see cref="AdapterSet.Merge"/> under
    /// <c>no_grad</c>). The default adds <see cref="DeltaWeight"/>, summed in the wider of the two dtypes and rounded
    /// once into the weight. Adapters whose merge is not an addition (DoRA rescales rows, IA3 multiplies) override
    /// this and <see cref="UnmergeFrom"/>, since <see cref="DeltaWeight"/> read from an already merged weight is wrong.
    /// </summary>
    protected internal virtual void MergeInto(Tensor weight)
    {
        using var delta = DeltaWeight();
        using var sum = weight + delta;
        weight.copy_(sum);
    }

    /// <summary>Undoes <see cref="MergeInto"/> on the merged <paramref name="weight"/> (exact up to rounding).</summary>
    protected internal virtual void UnmergeFrom(Tensor weight)
    {
        using var delta = DeltaWeight();
        using var difference = weight - delta;
        weight.copy_(difference);
    }
}
