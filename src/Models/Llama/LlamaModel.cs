using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Models.Llama;

/// <summary>
/// The Llama-family decoder stack without its LM head: embeddings, N decoder layers, final RMSNorm.
/// Keys (under the causal LM's <c>model.</c>): <c>embed_tokens</c>, <c>layers.{i}</c>, <c>norm</c>.
/// </summary>
public sealed class LlamaModel : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AdaptableEmbedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly RotaryEmbedding rotary_emb;
#pragma warning restore IDE1006

    /// <summary>Creates the stack with uninitialised weights.</summary>
    public LlamaModel(LlamaConfig config, ScalarType dtype, Device? device) : base(nameof(LlamaModel))
    {
        embed_tokens = new AdaptableEmbedding(config.VocabSize, config.HiddenSize, dtype, device);
        layers = new ModuleList<LlamaDecoderLayer>();
        for (int i = 0; i < config.NumHiddenLayers; i++)
            layers.Add(new LlamaDecoderLayer(config, i, dtype, device));
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        rotary_emb = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.RopeScaling, device);
        RegisterComponents();
    }

    /// <summary>The token embedding.</summary>
    public AdaptableEmbedding EmbedTokens => embed_tokens;

    /// <summary>The decoder layers.</summary>
    public IReadOnlyList<LlamaDecoderLayer> Layers => layers.ToList();

    /// <summary>Runs the layers over <paramref name="embeddings"/> <c>[batch, tokens, hidden]</c> and returns the
    /// final-normed hidden states <c>[batch, tokens, hidden]</c>; extends <paramref name="cache"/> when given.</summary>
    public Tensor Forward(Tensor embeddings, Tensor? attentionMask, Tensor? positionIds, KvCache? cache, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        long batch = embeddings.shape[0], tokens = embeddings.shape[1];
        long past = cache?.Length ?? 0;
        var device = embeddings.device;
        if (attentionMask is not null && attentionMask.all().item<bool>())
            attentionMask = null; // no padding: plain causal attention takes the fast path
        if (attentionMask is null && past > 0 && tokens > 1)
            attentionMask = ones(batch, past + tokens, dtype: ScalarType.Int64, device: device);
        positionIds ??= attentionMask is not null
            ? CausalMask.PositionsFromMask(attentionMask, tokens)
            : arange(past, past + tokens, device: device).unsqueeze(0).expand(batch, tokens);
        var (cos, sin) = rotary_emb.Forward(positionIds.to(device), embeddings.dtype);
        var mask = CausalMask.Build(attentionMask, tokens, past, embeddings.dtype, device);
        var hidden = embeddings;
        foreach (var layer in layers)
            hidden = layer.Forward(hidden, cos, sin, mask, cache, context);
        cache?.Advance(tokens);
        return norm.call(hidden).MoveToOuterDisposeScope();
    }
}
