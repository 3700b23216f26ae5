using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Models.Llama;

/// <summary>
/// One pre-norm decoder layer: <c>h = x + attn(norm₁(x))</c>, <c>y = h + mlp(norm₂(h))</c>.
/// Keys: <c>input_layernorm</c>, <c>self_attn</c>, <c>post_attention_layernorm</c>, <c>mlp</c>.
/// </summary>
public sealed class LlamaDecoderLayer : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly RmsNorm input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly LlamaMlp mlp;
    private readonly SublayerAdapterSite attention_site, mlp_site;
#pragma warning restore IDE1006

    /// <summary>Creates layer <paramref name="layerIndex"/>.</summary>
    public LlamaDecoderLayer(LlamaConfig config, int layerIndex, ScalarType dtype, Device? device) : base(nameof(LlamaDecoderLayer))
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        self_attn = new LlamaAttention(config, layerIndex, dtype, device);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        mlp = new LlamaMlp(config, dtype, device);
        attention_site = new SublayerAdapterSite(SublayerKind.Attention, causal: true);
        mlp_site = new SublayerAdapterSite(SublayerKind.Mlp, causal: true);
        RegisterComponents();
    }

    /// <summary>Where sublayer adapters wrap the attention block.</summary>
    public SublayerAdapterSite AttentionSite => attention_site;

    /// <summary>Where sublayer adapters wrap the MLP block.</summary>
    public SublayerAdapterSite MlpSite => mlp_site;

    /// <summary><c>[batch, tokens, hidden]</c> → <c>[batch, tokens, hidden]</c>.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var attentionIn = attention_site.Before(input_layernorm.call(x), context);
        // Residual adds with a live alpha (LiveScalars: an implicit one may be finalized mid-call).
        var h = x.add(attention_site.After(attentionIn, self_attn.Forward(attentionIn, cos, sin, mask, cache, context), context), LiveScalars.One);
        var mlpIn = mlp_site.Before(post_attention_layernorm.call(h), context);
        var y = h.add(mlp_site.After(mlpIn, mlp.Forward(mlpIn, context), context), LiveScalars.One);
        return y.MoveToOuterDisposeScope();
    }
}
