using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Layers;

/// <summary>
/// The self-attention block of CLIP, SigLIP and Whisper layers, which share key names: <c>q_proj</c>,
/// <c>k_proj</c>, <c>v_proj</c>, <c>out_proj</c>. All carry a bias except Whisper's <c>k_proj</c>.
/// </summary>
public sealed class EncoderSelfAttention : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AdaptableLinear q_proj, k_proj, v_proj, out_proj;
#pragma warning restore IDE1006
    private readonly int heads;

    /// <summary>Creates the block.</summary>
    /// <param name="width">Hidden width.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="keyBias">Whether <c>k_proj</c> has a bias (false for Whisper).</param>
    /// <param name="dtype">Weight dtype.</param>
    /// <param name="device">Weight device.</param>
    public EncoderSelfAttention(int width, int heads, bool keyBias, ScalarType dtype, Device? device) : base(nameof(EncoderSelfAttention))
    {
        this.heads = heads;
        q_proj = new AdaptableLinear(width, width, true, dtype, device);
        k_proj = new AdaptableLinear(width, width, keyBias, dtype, device);
        v_proj = new AdaptableLinear(width, width, true, dtype, device);
        out_proj = new AdaptableLinear(width, width, true, dtype, device);
        RegisterComponents();
    }

    /// <summary><c>[batch, tokens, width]</c> → <c>[batch, tokens, width]</c>.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var attended = BidirectionalAttention.Attend(x, q_proj, k_proj, v_proj, heads, null, context);
        return out_proj.Forward(attended, context).MoveToOuterDisposeScope();
    }
}
