using static TorchSharp.torch;

namespace MMAdapt.Core.Modules;

/// <summary>
/// An adapter placed around a whole sublayer (a layer's attention or MLP block) rather than one projection:
/// bottleneck adapters in parallel or in sequence (Houlsby, Pfeiffer, He et al.), soft mixtures of adapters
/// (Soft-MoA), PILL's modality adapter experts (MoMAE).
/// </summary>
public abstract class SublayerAdapter : nn.Module
{
    /// <summary>Creates the adapter; <paramref name="name"/> is its module type name.</summary>
    protected SublayerAdapter(string name) : base(name) { }

    /// <summary>True when the adapter mixes information across tokens (Soft-MoA's dispatch): it cannot sit in a
    /// causal decoder, where it would let tokens see the future.</summary>
    public virtual bool MixesTokens => false;

    /// <summary>Changes what the sublayer receives; the identity by default.</summary>
    /// <param name="input"><c>[batch, tokens, hidden]</c>: the sublayer's input (after its pre-norm).</param>
    /// <param name="context">Modalities, mask, routing keys, aux sink.</param>
    public virtual Tensor BeforeSublayer(Tensor input, ForwardContext? context) => input;

    /// <summary>Changes what the sublayer returns; the identity by default.</summary>
    /// <param name="input"><c>[batch, tokens, hidden]</c>: what the sublayer received.</param>
    /// <param name="output"><c>[batch, tokens, hidden]</c>: what it returned (before the residual add).</param>
    /// <param name="context">Modalities, mask, routing keys, aux sink.</param>
    public virtual Tensor AfterSublayer(Tensor input, Tensor output, ForwardContext? context) => output;
}
