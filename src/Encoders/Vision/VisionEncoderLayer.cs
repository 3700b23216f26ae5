using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Vision;

/// <summary>
/// One pre-norm transformer layer of CLIP/SigLIP: <c>h = x + attn(ln1(x))</c>, <c>y = h + mlp(ln2(h))</c>.
/// Keys: <c>layer_norm1</c>, <c>self_attn</c>, <c>layer_norm2</c>, <c>mlp</c>.
/// </summary>
public sealed class VisionEncoderLayer : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly LayerNorm layer_norm1;
    private readonly EncoderSelfAttention self_attn;
    private readonly LayerNorm layer_norm2;
    private readonly VisionMlp mlp;
    private readonly SublayerAdapterSite attention_site, mlp_site;
#pragma warning restore IDE1006

    /// <summary>Creates a layer.</summary>
    public VisionEncoderLayer(VisionTowerConfig config, ScalarType dtype, Device? device) : base(nameof(VisionEncoderLayer))
    {
        layer_norm1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        self_attn = new EncoderSelfAttention(config.HiddenSize, config.Heads, keyBias: true, dtype, device);
        layer_norm2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        mlp = new VisionMlp(config.HiddenSize, config.IntermediateSize, Activations.Get(config.HiddenAct, "vision config"), dtype, device);
        attention_site = new SublayerAdapterSite(SublayerKind.Attention, causal: false);
        mlp_site = new SublayerAdapterSite(SublayerKind.Mlp, causal: false);
        RegisterComponents();
    }

    /// <summary>Where sublayer adapters wrap the attention block.</summary>
    public SublayerAdapterSite AttentionSite => attention_site;

    /// <summary>Where sublayer adapters wrap the MLP block.</summary>
    public SublayerAdapterSite MlpSite => mlp_site;

    /// <summary><c>[batch, tokens, hidden]</c> → <c>[batch, tokens, hidden]</c>.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var attentionIn = attention_site.Before(layer_norm1.call(x), context);
        var h = x + attention_site.After(attentionIn, self_attn.Forward(attentionIn, context), context);
        var mlpIn = mlp_site.Before(layer_norm2.call(h), context);
        return (h + mlp_site.After(mlpIn, mlp.Forward(mlpIn, context), context)).MoveToOuterDisposeScope();
    }
}
