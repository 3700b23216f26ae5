using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Layers;

/// <summary>
/// The multi-head self-attention every encoder tower shares (ViT, CLIP, SigLIP, Whisper, AST): every
/// token attends to every token, softmax(q·kᵀ/√d)·v per head. Towers keep their own projection modules
/// (their checkpoint names differ) and call this for the arithmetic.
/// </summary>
public static class BidirectionalAttention
{
    /// <summary>Projects, attends and merges heads; the caller applies its output projection.</summary>
    /// <param name="x"><c>[batch, tokens, hidden]</c></param>
    /// <param name="query">Query projection.</param>
    /// <param name="key">Key projection.</param>
    /// <param name="value">Value projection.</param>
    /// <param name="heads">Number of heads.</param>
    /// <param name="mask">Optional additive mask broadcastable to <c>[batch, heads, tokens, tokens]</c>.</param>
    /// <param name="context">Forward context for the projections' adapters.</param>
    /// <returns><c>[batch, tokens, heads·headDim]</c></returns>
    public static Tensor Attend(Tensor x, AdaptableLinear query, AdaptableLinear key, AdaptableLinear value, int heads, Tensor? mask, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], tokens = x.shape[1], width = query.OutFeatures, headDim = width / heads;
        var q = query.Forward(x, context).view(batch, tokens, heads, headDim).transpose(1, 2); // [batch, heads, tokens, headDim]
        var k = key.Forward(x, context).view(batch, tokens, heads, headDim).transpose(1, 2);
        var v = value.Forward(x, context).view(batch, tokens, heads, headDim).transpose(1, 2);
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, mask);              // [batch, heads, tokens, headDim]
        return attended.transpose(1, 2).reshape(batch, tokens, width).MoveToOuterDisposeScope(); // [batch, tokens, width]
    }
}
