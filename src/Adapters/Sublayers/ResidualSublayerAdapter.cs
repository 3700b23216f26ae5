using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Sublayers;

/// <summary>
/// A sublayer adapter that adds a learned change to the block's output: in sequence, <c>out + f(out)</c>
/// (Houlsby, Pfeiffer), or in parallel, <c>out + f(input)</c> (He et al., 2022), where <c>input</c> is what the block
/// received (after its pre-norm). Bottleneck adapters and mixtures of them differ only in <see cref="Change"/>.
/// </summary>
public abstract class ResidualSublayerAdapter : SublayerAdapter
{
    /// <summary>Creates the adapter.</summary>
    /// <param name="name">Module type name.</param>
    /// <param name="parallel">True: <c>f</c> reads the block's input; false: its output.</param>
    protected ResidualSublayerAdapter(string name, bool parallel) : base(name) => Parallel = parallel;

    /// <summary>True when <c>f</c> reads the block's input (parallel), false when it reads its output (sequential).</summary>
    public bool Parallel { get; }

    /// <summary>The change <c>f(x)</c> added to the block's output.</summary>
    /// <param name="x"><c>[batch, tokens, hidden]</c>: the block's input (parallel) or output (sequential).</param>
    /// <param name="context">Mask, modalities, aux sink.</param>
    /// <returns><c>[batch, tokens, hidden]</c></returns>
    public abstract Tensor Change(Tensor x, ForwardContext? context);

    /// <inheritdoc />
    public override Tensor AfterSublayer(Tensor input, Tensor output, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        // Adapters keep fp32 weights over a bf16 model: f runs in its own dtype, its change joins in the block's.
        var x = Parallel ? input : output;
        var dtype = parameters().Select(p => p.dtype).FirstOrDefault(x.dtype);
        var change = Change(dtype == x.dtype ? x : x.to(dtype), context);
        return (output + change.to(output.dtype)).MoveToOuterDisposeScope();
    }
}
