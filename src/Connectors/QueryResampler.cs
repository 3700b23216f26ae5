using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// The learned-query machinery of <see cref="ResamplerConnector"/> and <see cref="WindowResamplerConnector"/> (BLIP-2's
/// Q-Former, Flamingo's and Qwen-VL's perceiver resamplers): features are projected to the hidden width and normalised,
/// learned queries pass through <see cref="QueryResamplerOptions.Layers"/> blocks (self-attention among the queries,
/// cross-attention to the features, GELU MLP; pre-norm, residual), then a final norm and the output projection.
/// </summary>
/// <remarks>
/// <para>Shapes: features <c>[batch, tokens, in]</c> → <c>[batch, queries, out]</c>; hidden width <c>d</c>.</para>
/// <para>Keys (no single Hugging Face layout exists; names follow the decoders'): <c>queries</c> <c>[queries, d]</c>
/// (normal, std 0.02), <c>input_proj</c> <c>[d, in]</c>, <c>input_norm</c>, <c>layers.{i}.self_attn.{q,k,v,o}_proj</c>,
/// <c>layers.{i}.self_attn_norm</c>, <c>layers.{i}.cross_attn.{q,k,v,o}_proj</c>, <c>layers.{i}.cross_attn_norm</c>,
/// <c>layers.{i}.fc1</c>, <c>layers.{i}.fc2</c>, <c>layers.{i}.mlp_norm</c>, <c>norm</c>, <c>output_proj</c>
/// <c>[out, d]</c>. Both connectors share it, so a resampler's weights load into a window resampler of the same sizes.</para>
/// <para>No positional embedding is added: encoder features carry their positions.</para>
/// <para>Padding: masked features are excluded from the cross-attention keys, so they do not change the output; a
/// sequence with no real feature at all attends to everything (its output is meaningless but finite, and
/// <see cref="Connector.OutputMask"/> marks it as padding).</para>
/// </remarks>
public abstract class QueryResampler : Connector
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter queries;
    private readonly AdaptableLinear input_proj;
    private readonly LayerNorm input_norm;
    private readonly ModuleList<ResamplerLayer> layers;
    private readonly LayerNorm norm;
    private readonly AdaptableLinear output_proj;
#pragma warning restore IDE1006

    /// <summary>Creates and initialises the parameters.</summary>
    /// <param name="name">Module name.</param>
    /// <param name="recorded">The options that describe the connector.</param>
    /// <param name="inFeatures">Encoder width.</param>
    /// <param name="outFeatures">LLM hidden size.</param>
    /// <param name="queries">Learned queries (≥ 1).</param>
    /// <param name="layers">Blocks (≥ 1).</param>
    /// <param name="heads">Attention heads; must divide <paramref name="hiddenSize"/>.</param>
    /// <param name="hiddenSize">The blocks' width d.</param>
    /// <param name="selfAttention">Self-attention among the queries in each block (needs at least 2 queries).</param>
    /// <param name="mlpRatio">MLP inner width as a multiple of d.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Generator for the initial weights.</param>
    /// <exception cref="ArgumentException">A size is not positive, <paramref name="heads"/> does not divide d, or
    /// self-attention is asked for with a single query.</exception>
    protected QueryResampler(string name, ConnectorOptions recorded, long inFeatures, long outFeatures, int queries, int layers, int heads,
        long hiddenSize, bool selfAttention, int mlpRatio, ScalarType dtype, Device? device, Generator? generator) : base(name, recorded)
    {
        if (queries < 1 || layers < 1 || heads < 1 || mlpRatio < 1 || hiddenSize < 1)
            throw new ArgumentException($"{Describe}: queries ({queries}), layers ({layers}), heads ({heads}), hidden_size ({hiddenSize}) " +
                                        $"and mlp_ratio ({mlpRatio}) must all be at least 1.");
        if (selfAttention && queries < 2)
            throw new ArgumentException($"{Describe}: 'self_attention' needs at least 2 queries; a single query attends only to itself.",
                nameof(selfAttention));
        if (hiddenSize % heads != 0)
            throw new ArgumentException($"{Describe}: 'heads' = {heads} must divide the hidden width {hiddenSize} " +
                                        "(hidden_size, or the LLM hidden size when hidden_size is absent).", nameof(heads));
        (InFeatures, OutFeatures, Queries, HiddenSize) = (inFeatures, outFeatures, queries, hiddenSize);
        using (no_grad())
            this.queries = new Parameter(empty(queries, hiddenSize, dtype: dtype, device: device).normal_(0, 0.02, generator));
        input_proj = LinearStack.Linear(inFeatures, hiddenSize, dtype, device, generator);
        input_norm = nn.LayerNorm(hiddenSize, ResamplerLayer.NormEps, device: device, dtype: dtype);
        this.layers = new ModuleList<ResamplerLayer>(Enumerable.Range(0, layers)
            .Select(_ => new ResamplerLayer(hiddenSize, heads, selfAttention, mlpRatio, dtype, device, generator)).ToArray());
        norm = nn.LayerNorm(hiddenSize, ResamplerLayer.NormEps, device: device, dtype: dtype);
        output_proj = LinearStack.Linear(hiddenSize, outFeatures, dtype, device, generator);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override long InFeatures { get; }

    /// <inheritdoc />
    public override long OutFeatures { get; }

    /// <summary>Learned queries per resampled sequence.</summary>
    public int Queries { get; }

    /// <summary>The blocks' width.</summary>
    public long HiddenSize { get; }

    /// <summary>The learned queries <c>[queries, hidden]</c>.</summary>
    public Parameter QueryTokens => queries;

    /// <summary>Resamples each sequence of the batch to the queries.</summary>
    /// <param name="features"><c>[batch, tokens, in]</c>.</param>
    /// <param name="mask">Bool <c>[batch, tokens]</c> (true = real), or null.</param>
    /// <param name="context">The connector's context (sink, training flag), or null.</param>
    /// <param name="sameBatch">False when <paramref name="features"/> folds several sequences per item into the batch.</param>
    /// <returns><c>[batch, queries, out]</c>.</returns>
    protected Tensor Resample(Tensor features, Tensor? mask, ForwardContext? context, bool sameBatch)
    {
        using var scope = NewDisposeScope();
        long batch = features.shape[0], tokens = features.shape[1];
        var featureContext = ConnectorContexts.For(context, mask, sameBatch);
        var queryContext = ConnectorContexts.For(context, null, sameBatch);
        var source = input_norm.call(input_proj.Forward(features, featureContext));          // [batch, tokens, d]
        Tensor? keyMask = null;
        if (mask is not null)
        {
            // A sequence without any real token attends to all (finite output, marked padding by OutputMask).
            var usable = mask.logical_or(mask.any(1, keepdim: true).logical_not());         // [batch, tokens]
            keyMask = usable.view(batch, 1, 1, tokens);                                     // [batch, 1, 1, tokens]
        }
        var h = queries.unsqueeze(0).expand(batch, Queries, HiddenSize);                    // [batch, queries, d]
        foreach (var layer in layers)
            h = layer.Forward(h, source, keyMask, queryContext, featureContext);
        return output_proj.Forward(norm.call(h), queryContext).MoveToOuterDisposeScope();   // [batch, queries, out]
    }
}
