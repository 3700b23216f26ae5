using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// A Q-Former / perceiver-resampler connector (BLIP-2, Qwen-VL): <see cref="QueryResampler.Queries"/> learned queries
/// cross-attend to all of an item's features, so every item becomes exactly that many LLM tokens whatever its length.
/// </summary>
/// <remarks>Shapes: <c>[batch, tokens, in]</c> → <c>[batch, queries, out]</c>; padded features (mask 0) are not attended
/// to, so a padded item's output equals the item's output alone. Layout and keys: <see cref="QueryResampler"/>.</remarks>
public sealed class ResamplerConnector : QueryResampler
{
    /// <summary>Creates the connector (see <see cref="QueryResampler"/> for the parameters).</summary>
    /// <param name="inFeatures">Encoder width.</param>
    /// <param name="outFeatures">LLM hidden size.</param>
    /// <param name="queries">Learned queries: the output length.</param>
    /// <param name="layers">Blocks.</param>
    /// <param name="heads">Attention heads; must divide the hidden width.</param>
    /// <param name="hiddenSize">The blocks' width (null: <paramref name="outFeatures"/>).</param>
    /// <param name="selfAttention">Self-attention among the queries.</param>
    /// <param name="mlpRatio">MLP inner width as a multiple of the hidden width.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Generator for the initial weights.</param>
    public ResamplerConnector(long inFeatures, long outFeatures, int queries = 32, int layers = 2, int heads = 8, long? hiddenSize = null,
        bool selfAttention = true, int mlpRatio = 4, ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null)
        : this(inFeatures, outFeatures, queries, layers, heads, hiddenSize, selfAttention, mlpRatio, dtype, device, generator, null) { }

    internal ResamplerConnector(long inFeatures, long outFeatures, int queries, int layers, int heads, long? hiddenSize,
        bool selfAttention, int mlpRatio, ScalarType dtype, Device? device, Generator? generator, ConnectorOptions? recorded)
        : base(nameof(ResamplerConnector), recorded ?? new ResamplerOptions
        {
            Queries = queries, Layers = layers, Heads = heads, HiddenSize = (int?)hiddenSize, SelfAttention = selfAttention, MlpRatio = mlpRatio,
        }, inFeatures, outFeatures, queries, layers, heads, hiddenSize ?? outFeatures, selfAttention, mlpRatio, dtype, device, generator) { }

    /// <inheritdoc />
    public override int OutputTokens(int inputTokens)
    {
        CheckInputTokens(inputTokens);
        return Queries;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor features, ForwardContext? context = null)
    {
        using var mask = CheckInput(features, context);
        return Resample(features, mask, context, sameBatch: true);
    }

    /// <inheritdoc />
    public override Tensor OutputMask(Tensor inputMask) => inputMask.ne(0).any(1, keepdim: true).expand(inputMask.shape[0], Queries);
}
