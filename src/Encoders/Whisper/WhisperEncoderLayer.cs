using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Whisper;

/// <summary>
/// One pre-norm Whisper encoder layer: <c>h = x + attn(ln(x))</c>, <c>y = h + fc2(act(fc1(ln(h))))</c>.
/// Keys: <c>self_attn</c>, <c>self_attn_layer_norm</c>, <c>fc1</c>, <c>fc2</c>, <c>final_layer_norm</c>.
/// </summary>
public sealed class WhisperEncoderLayer : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly EncoderSelfAttention self_attn;
    private readonly LayerNorm self_attn_layer_norm;
    private readonly AdaptableLinear fc1, fc2;
    private readonly LayerNorm final_layer_norm;
    private readonly SublayerAdapterSite attention_site, mlp_site;
#pragma warning restore IDE1006
    private readonly Func<Tensor, Tensor> activation;

    /// <summary>Creates a layer.</summary>
    public WhisperEncoderLayer(WhisperEncoderConfig config, ScalarType dtype, Device? device) : base(nameof(WhisperEncoderLayer))
    {
        activation = Activations.Get(config.ActivationFunction, "whisper config");
        self_attn = new EncoderSelfAttention(config.DModel, config.EncoderAttentionHeads, keyBias: false, dtype, device);
        self_attn_layer_norm = nn.LayerNorm(config.DModel, device: device, dtype: dtype);
        fc1 = new AdaptableLinear(config.DModel, config.EncoderFfnDim, true, dtype, device);
        fc2 = new AdaptableLinear(config.EncoderFfnDim, config.DModel, true, dtype, device);
        final_layer_norm = nn.LayerNorm(config.DModel, device: device, dtype: dtype);
        attention_site = new SublayerAdapterSite(SublayerKind.Attention, causal: false);
        mlp_site = new SublayerAdapterSite(SublayerKind.Mlp, causal: false);
        RegisterComponents();
    }

    /// <summary>Where sublayer adapters wrap the attention block.</summary>
    public SublayerAdapterSite AttentionSite => attention_site;

    /// <summary>Where sublayer adapters wrap the MLP block.</summary>
    public SublayerAdapterSite MlpSite => mlp_site;

    /// <summary><c>[batch, frames, width]</c> → <c>[batch, frames, width]</c>.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var attentionIn = attention_site.Before(self_attn_layer_norm.call(x), context);
        var h = x + attention_site.After(attentionIn, self_attn.Forward(attentionIn, context), context);
        var mlpIn = mlp_site.Before(final_layer_norm.call(h), context);
        var y = h + mlp_site.After(mlpIn, fc2.Forward(activation(fc1.Forward(mlpIn, context)), context), context);
        return y.MoveToOuterDisposeScope();
    }
}
