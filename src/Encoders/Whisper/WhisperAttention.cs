using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Whisper;

/// <summary>Whisper's self-attention. Keys: <c>q_proj</c>, <c>k_proj</c> (no bias), <c>v_proj</c>, <c>out_proj</c>.</summary>
public sealed class WhisperAttention : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AdaptableLinear q_proj, k_proj, v_proj, out_proj;
#pragma warning restore IDE1006
    private readonly int heads;

    /// <summary>Creates the block.</summary>
    public WhisperAttention(int width, int heads, ScalarType dtype, Device? device) : base(nameof(WhisperAttention))
    {
        this.heads = heads;
        q_proj = new AdaptableLinear(width, width, true, dtype, device);
        k_proj = new AdaptableLinear(width, width, false, dtype, device);
        v_proj = new AdaptableLinear(width, width, true, dtype, device);
        out_proj = new AdaptableLinear(width, width, true, dtype, device);
        RegisterComponents();
    }

    /// <summary><c>[batch, frames, width]</c> → <c>[batch, frames, width]</c>.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var attended = BidirectionalAttention.Attend(x, q_proj, k_proj, v_proj, heads, null, context);
        return out_proj.Forward(attended, context).MoveToOuterDisposeScope();
    }
}
