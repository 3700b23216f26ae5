using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// SALMONN's window-level Q-Former: the frames are cut into windows of <see cref="Window"/> frames and the resampler turns
/// each window into <see cref="QueryResampler.Queries"/> tokens, so <c>T</c> frames give <c>ceil(T / Window) · Queries</c>
/// tokens, in time order.
/// </summary>
/// <remarks>
/// <para>Batched: the windows are folded into the batch, <c>[batch, W·k, in]</c> → <c>[batch·W, k, in]</c>, one resampler
/// call covers every window of every item, and the output unfolds to <c>[batch, W·queries, out]</c>.</para>
/// <para>Padding: the last window is padded to <c>k</c> frames and the padding masked out of the cross-attention, as are
/// frames the context's mask marks as padding; so the windows of an item in a padded batch equal its windows alone.
/// Windows with no real frame are marked padding by <see cref="OutputMask"/>.</para>
/// <para>Layout and keys: <see cref="QueryResampler"/>.</para>
/// </remarks>
public sealed class WindowResamplerConnector : QueryResampler
{
    /// <summary>Creates the connector (see <see cref="QueryResampler"/> for the parameters).</summary>
    /// <param name="inFeatures">Encoder width.</param>
    /// <param name="outFeatures">LLM hidden size.</param>
    /// <param name="window">Frames per window (≥ 1).</param>
    /// <param name="queries">Output tokens per window.</param>
    /// <param name="layers">Blocks.</param>
    /// <param name="heads">Attention heads; must divide the hidden width.</param>
    /// <param name="hiddenSize">The blocks' width (null: <paramref name="outFeatures"/>).</param>
    /// <param name="selfAttention">Self-attention among a window's queries (needs at least 2 queries).</param>
    /// <param name="mlpRatio">MLP inner width as a multiple of the hidden width.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Generator for the initial weights.</param>
    /// <exception cref="ArgumentException">The window is not positive, or another size does not fit.</exception>
    public WindowResamplerConnector(long inFeatures, long outFeatures, int window, int queries = 1, int layers = 2, int heads = 8,
        long? hiddenSize = null, bool selfAttention = false, int mlpRatio = 4, ScalarType dtype = ScalarType.Float32, Device? device = null,
        Generator? generator = null)
        : this(inFeatures, outFeatures, window, queries, layers, heads, hiddenSize, selfAttention, mlpRatio, dtype, device, generator, null) { }

    internal WindowResamplerConnector(long inFeatures, long outFeatures, int window, int queries, int layers, int heads, long? hiddenSize,
        bool selfAttention, int mlpRatio, ScalarType dtype, Device? device, Generator? generator, ConnectorOptions? recorded)
        : base(nameof(WindowResamplerConnector), recorded ?? new WindowResamplerOptions
        {
            Window = window, Queries = queries, Layers = layers, Heads = heads, HiddenSize = (int?)hiddenSize, SelfAttention = selfAttention,
            MlpRatio = mlpRatio,
        }, inFeatures, outFeatures, queries, layers, heads, hiddenSize ?? outFeatures, selfAttention, mlpRatio, dtype, device, generator)
    {
        if (window < 1)
            throw new ArgumentOutOfRangeException(nameof(window), $"{Describe}: 'window' must be at least 1, got {window}.");
        Window = window;
    }

    /// <summary>Frames per window.</summary>
    public int Window { get; }

    /// <inheritdoc />
    public override int OutputTokens(int inputTokens)
    {
        CheckInputTokens(inputTokens);
        return (int)ConnectorContexts.Groups(inputTokens, Window) * Queries;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor features, ForwardContext? context = null)
    {
        using var scope = NewDisposeScope();
        var mask = CheckInput(features, context);
        long batch = features.shape[0], frames = features.shape[1], windows = ConnectorContexts.Groups(frames, Window);
        long pad = windows * Window - frames;
        if (pad > 0)
            mask ??= ones(batch, frames, dtype: ScalarType.Bool, device: features.device);
        var padded = pad > 0 ? nn.functional.pad(features, [0, 0, 0, pad]) : features;   // [batch, W·k, in]
        var folded = padded.reshape(batch * windows, Window, InFeatures);                  // [batch·W, k, in]
        var foldedMask = mask is null ? null : ConnectorContexts.PadMask(mask, pad).reshape(batch * windows, Window); // [batch·W, k]
        var output = Resample(folded, foldedMask, context, sameBatch: windows == 1);      // [batch·W, queries, out]
        return output.reshape(batch, windows * Queries, OutFeatures).MoveToOuterDisposeScope(); // [batch, W·queries, out]
    }

    /// <inheritdoc />
    public override Tensor OutputMask(Tensor inputMask)
    {
        using var scope = NewDisposeScope();
        long batch = inputMask.shape[0], windows = ConnectorContexts.Groups(inputMask.shape[1], Window);
        var padded = ConnectorContexts.PadMask(inputMask.ne(0), windows * Window - inputMask.shape[1]);   // [batch, W·k]
        var real = padded.view(batch, windows, Window).any(2);                                           // [batch, W]
        return real.repeat_interleave(Queries, 1).MoveToOuterDisposeScope();                             // [batch, W·queries]
    }
}
