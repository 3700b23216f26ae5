using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Vision;

/// <summary>Self-attention block of a CLIP/SigLIP layer. Keys: <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>out_proj</c> (all with bias).</summary>
public sealed class VisionAttention : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AdaptableLinear q_proj, k_proj, v_proj, out_proj;
#pragma warning restore IDE1006
    private readonly int heads;

    /// <summary>Creates the block.</summary>
    public VisionAttention(int hidden, int heads, ScalarType dtype, Device? device) : base(nameof(VisionAttention))
    {
        this.heads = heads;
        q_proj = new AdaptableLinear(hidden, hidden, true, dtype, device);
        k_proj = new AdaptableLinear(hidden, hidden, true, dtype, device);
        v_proj = new AdaptableLinear(hidden, hidden, true, dtype, device);
        out_proj = new AdaptableLinear(hidden, hidden, true, dtype, device);
        RegisterComponents();
    }

    /// <summary><c>[batch, tokens, hidden]</c> → <c>[batch, tokens, hidden]</c>.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var attended = BidirectionalAttention.Attend(x, q_proj, k_proj, v_proj, heads, null, context);
        return out_proj.Forward(attended, context).MoveToOuterDisposeScope();
    }
}
