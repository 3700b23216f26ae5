using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Models.Llama;

/// <summary>
/// Grouped-query self-attention with rotary positions (Ainslie et al., 2023): <c>kvHeads</c> key/value
/// heads each shared by <c>heads / kvHeads</c> query heads. Keys: <c>q_proj</c>, <c>k_proj</c>,
/// <c>v_proj</c>, <c>o_proj</c>.
/// </summary>
public sealed class LlamaAttention : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AdaptableLinear q_proj, k_proj, v_proj, o_proj;
#pragma warning restore IDE1006
    private readonly int heads, kvHeads, headDim, layerIndex;

    /// <summary>Creates the attention block of layer <paramref name="layerIndex"/>.</summary>
    public LlamaAttention(LlamaConfig config, int layerIndex, ScalarType dtype, Device? device) : base(nameof(LlamaAttention))
    {
        heads = config.NumAttentionHeads;
        kvHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        this.layerIndex = layerIndex;
        q_proj = new AdaptableLinear(config.HiddenSize, heads * headDim, config.QkvBias, dtype, device);
        k_proj = new AdaptableLinear(config.HiddenSize, kvHeads * headDim, config.QkvBias, dtype, device);
        v_proj = new AdaptableLinear(config.HiddenSize, kvHeads * headDim, config.QkvBias, dtype, device);
        o_proj = new AdaptableLinear(heads * headDim, config.HiddenSize, config.OutputBias, dtype, device);
        RegisterComponents();
    }

    /// <summary>Attends over cached and new tokens.</summary>
    /// <param name="x"><c>[batch, tokens, hidden]</c></param>
    /// <param name="cos">Rotary cosines <c>[batch, tokens, headDim]</c>.</param>
    /// <param name="sin">Rotary sines <c>[batch, tokens, headDim]</c>.</param>
    /// <param name="mask">Additive mask <c>[batch, 1, tokens, keys]</c>, or null for plain causal attention.</param>
    /// <param name="cache">KV cache to extend, or null.</param>
    /// <param name="context">Forward context for the projections' adapters.</param>
    /// <returns><c>[batch, tokens, hidden]</c></returns>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], tokens = x.shape[1];
        var q = q_proj.Forward(x, context).view(batch, tokens, heads, headDim).transpose(1, 2);   // [batch, heads, tokens, headDim]
        var k = k_proj.Forward(x, context).view(batch, tokens, kvHeads, headDim).transpose(1, 2); // [batch, kvHeads, tokens, headDim]
        var v = v_proj.Forward(x, context).view(batch, tokens, kvHeads, headDim).transpose(1, 2); // [batch, kvHeads, tokens, headDim]
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        bool causal = mask is null && tokens > 1 && (cache is null || cache.Length == 0);
        if (cache is not null)
            (k, v) = cache.Append(layerIndex, k, v);                                               // [batch, kvHeads, keys, headDim]
        k = RepeatKeyValueHeads(k);                                                                // [batch, heads, keys, headDim]
        v = RepeatKeyValueHeads(v);
        if (mask is null && tokens > 1 && !causal)
            throw new InvalidOperationException("Several new tokens after cached ones need an explicit attention mask.");
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, mask, is_casual: causal); // [batch, heads, tokens, headDim]
        var merged = attended.transpose(1, 2).reshape(batch, tokens, heads * headDim);              // [batch, tokens, heads*headDim]
        return o_proj.Forward(merged, context).MoveToOuterDisposeScope();
    }

    private Tensor RepeatKeyValueHeads(Tensor kv)
    {
        int groups = heads / kvHeads;
        if (groups == 1)
            return kv;
        long batch = kv.shape[0], keys = kv.shape[2];
        // [batch, kvHeads, keys, headDim] → [batch, kvHeads, groups, keys, headDim] → [batch, heads, keys, headDim]
        return kv.unsqueeze(2).expand(batch, kvHeads, groups, keys, headDim).reshape(batch, heads, keys, headDim);
    }
}
