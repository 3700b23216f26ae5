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
#pragma warning restore IDE1006

    /// <summary>Creates layer <paramref name="layerIndex"/>.</summary>
    public LlamaDecoderLayer(LlamaConfig config, int layerIndex, ScalarType dtype, Device? device) : base(nameof(LlamaDecoderLayer))
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        self_attn = new LlamaAttention(config, layerIndex, dtype, device);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        mlp = new LlamaMlp(config, dtype, device);
        RegisterComponents();
    }

    /// <summary><c>[batch, tokens, hidden]</c> → <c>[batch, tokens, hidden]</c>.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var h = x + self_attn.Forward(input_layernorm.call(x), cos, sin, mask, cache, context);
        var y = h + mlp.Forward(post_attention_layernorm.call(h), context);
        return y.MoveToOuterDisposeScope();
    }
}
