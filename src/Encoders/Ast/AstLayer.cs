using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Ast;

/// <summary>One pre-norm ViT layer of AST, with Hugging Face's ViT key layout:
/// <c>layernorm_before</c>, <c>attention.attention.{query,key,value}</c>, <c>attention.output.dense</c>,
/// <c>layernorm_after</c>, <c>intermediate.dense</c>, <c>output.dense</c>.</summary>
public sealed class AstLayer : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly LayerNorm layernorm_before;
    private readonly AstAttention attention;
    private readonly LayerNorm layernorm_after;
    private readonly DenseBlock intermediate;
    private readonly DenseBlock output;
    private readonly SublayerAdapterSite attention_site, mlp_site;
#pragma warning restore IDE1006
    private readonly Func<Tensor, Tensor> activation;

    /// <summary>Creates a layer.</summary>
    public AstLayer(AstConfig config, ScalarType dtype, Device? device) : base(nameof(AstLayer))
    {
        activation = Activations.Get(config.HiddenAct, "AST config");
        layernorm_before = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        attention = new AstAttention(config, dtype, device);
        layernorm_after = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        intermediate = new DenseBlock(config.HiddenSize, config.IntermediateSize, dtype, device);
        output = new DenseBlock(config.IntermediateSize, config.HiddenSize, dtype, device);
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
        var attentionIn = attention_site.Before(layernorm_before.call(x), context);
        var h = x + attention_site.After(attentionIn, attention.Forward(attentionIn, context), context);
        var mlpIn = mlp_site.Before(layernorm_after.call(h), context);
        var y = h + mlp_site.After(mlpIn, output.Forward(activation(intermediate.Forward(mlpIn, context)), context), context);
        return y.MoveToOuterDisposeScope();
    }
}

/// <summary>ViT attention block: <c>attention</c> (query, key, value) then <c>output.dense</c>.</summary>
public sealed class AstAttention : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AstSelfAttention attention;
    private readonly DenseBlock output;
#pragma warning restore IDE1006

    /// <summary>Creates the block.</summary>
    public AstAttention(AstConfig config, ScalarType dtype, Device? device) : base(nameof(AstAttention))
    {
        attention = new AstSelfAttention(config, dtype, device);
        output = new DenseBlock(config.HiddenSize, config.HiddenSize, dtype, device);
        RegisterComponents();
    }

    /// <summary><c>[batch, tokens, hidden]</c> → <c>[batch, tokens, hidden]</c>.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        return output.Forward(attention.Forward(x, context), context).MoveToOuterDisposeScope();
    }
}

/// <summary>ViT self-attention projections. Keys: <c>query</c>, <c>key</c>, <c>value</c>.</summary>
public sealed class AstSelfAttention : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AdaptableLinear query, key, value;
#pragma warning restore IDE1006
    private readonly int heads;

    /// <summary>Creates the projections.</summary>
    public AstSelfAttention(AstConfig config, ScalarType dtype, Device? device) : base(nameof(AstSelfAttention))
    {
        heads = config.NumAttentionHeads;
        query = new AdaptableLinear(config.HiddenSize, config.HiddenSize, config.QkvBias, dtype, device);
        key = new AdaptableLinear(config.HiddenSize, config.HiddenSize, config.QkvBias, dtype, device);
        value = new AdaptableLinear(config.HiddenSize, config.HiddenSize, config.QkvBias, dtype, device);
        RegisterComponents();
    }

    /// <summary><c>[batch, tokens, hidden]</c> → merged heads <c>[batch, tokens, hidden]</c>.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context) => BidirectionalAttention.Attend(x, query, key, value, heads, null, context);
}

/// <summary>A module holding one projection named <c>dense</c>, as ViT's intermediate/output blocks are keyed.</summary>
public sealed class DenseBlock : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AdaptableLinear dense;
#pragma warning restore IDE1006

    /// <summary>Creates the block (with bias).</summary>
    public DenseBlock(long inFeatures, long outFeatures, ScalarType dtype, Device? device) : base(nameof(DenseBlock))
    {
        dense = new AdaptableLinear(inFeatures, outFeatures, true, dtype, device);
        RegisterComponents();
    }

    /// <summary>Applies the projection.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context) => dense.Forward(x, context);
}
