using MMAdapt.Adapters.Common;
using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>How <see cref="DownsampleConnector"/> merges a group of frames.</summary>
public enum DownsampleMode
{
    /// <summary>Concatenate the group's frames in time order: <c>[f₀ | f₁ | … | f_{k−1}]</c>, width <c>k · in</c>.</summary>
    Stack,
    /// <summary>Average the group's real frames, width <c>in</c>.</summary>
    Average,
}

/// <summary>
/// Temporal downsampling for audio (Qwen-Audio frame stacking, Qwen2-Audio average pooling) followed by a projection:
/// every <see cref="Factor"/> consecutive frames become one LLM token.
/// </summary>
/// <remarks>
/// <para>Shapes: <c>[batch, T, in]</c> → pad to <c>[batch, W·k, in]</c> with <c>W = ceil(T / k)</c> → <c>stack</c>:
/// <c>[batch, W, k·in]</c>, <c>avg</c>: <c>[batch, W, in]</c> → projection → <c>[batch, W, out]</c>.</para>
/// <para>Padding: frames the context's mask marks as padding are zeroed before stacking (so a padded batch gives each item
/// its own output, the tail padded with zeros as when it runs alone) and left out of averages (a group averages its real
/// frames only; an all-padding group gives the projection of zeros and is marked by <see cref="OutputMask"/>).</para>
/// <para>Keys: <c>linear_1</c> <c>[out, k·in]</c> (stack) or <c>[out, in]</c> (avg), then <c>linear_j</c> <c>[out, out]</c>,
/// as <see cref="MlpConnector"/>.</para>
/// </remarks>
public sealed class DownsampleConnector : Connector
{
    private readonly AdaptableLinear[] layers;

    /// <summary>Creates the connector with <c>torch.nn.Linear</c>'s initialisation.</summary>
    /// <param name="inFeatures">Encoder width.</param>
    /// <param name="outFeatures">LLM hidden size.</param>
    /// <param name="mode">Stack or average.</param>
    /// <param name="factor">Frames per token (≥ 1).</param>
    /// <param name="depth">Projection layers (≥ 1).</param>
    /// <param name="activation">Activation between projection layers.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Generator for the initial weights.</param>
    /// <exception cref="ArgumentException">The factor or depth is not positive.</exception>
    public DownsampleConnector(long inFeatures, long outFeatures, DownsampleMode mode = DownsampleMode.Stack, int factor = 2, int depth = 1,
        AdapterActivation activation = AdapterActivation.Gelu, ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null)
        : this(inFeatures, outFeatures, mode, factor, depth, activation, dtype, device, generator, null) { }

    internal DownsampleConnector(long inFeatures, long outFeatures, DownsampleMode mode, int factor, int depth, AdapterActivation activation,
        ScalarType dtype, Device? device, Generator? generator, ConnectorOptions? recorded)
        : base(nameof(DownsampleConnector), recorded ?? new DownsampleOptions
        {
            Mode = mode == DownsampleMode.Stack ? "stack" : "avg", Factor = factor, Depth = depth, Activation = AdapterActivations.NameOf(activation),
        })
    {
        if (factor < 1 || depth < 1)
            throw new ArgumentException($"{Describe}: 'factor' ({factor}) and 'depth' ({depth}) must be at least 1.");
        (InFeatures, OutFeatures, Mode, Factor, Activation) = (inFeatures, outFeatures, mode, factor, activation);
        layers = LinearStack.Create(this, mode == DownsampleMode.Stack ? factor * inFeatures : inFeatures, outFeatures, depth, dtype, device, generator);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override long InFeatures { get; }

    /// <inheritdoc />
    public override long OutFeatures { get; }

    /// <summary>Stack or average.</summary>
    public DownsampleMode Mode { get; }

    /// <summary>Frames per output token.</summary>
    public int Factor { get; }

    /// <summary>Activation between projection layers.</summary>
    public AdapterActivation Activation { get; }

    /// <inheritdoc />
    public override int OutputTokens(int inputTokens)
    {
        CheckInputTokens(inputTokens);
        return (int)ConnectorContexts.Groups(inputTokens, Factor);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor features, ForwardContext? context = null)
    {
        using var scope = NewDisposeScope();
        var mask = CheckInput(features, context);
        long batch = features.shape[0], frames = features.shape[1], groups = ConnectorContexts.Groups(frames, Factor);
        long pad = groups * Factor - frames;
        var x = mask is null ? features : features * mask.unsqueeze(-1).to(features.dtype);      // padding frames zeroed
        x = pad > 0 ? nn.functional.pad(x, [0, 0, 0, pad]) : x;                                    // [batch, W·k, in]
        Tensor merged;
        if (Mode == DownsampleMode.Stack)
        {
            merged = x.reshape(batch, groups, Factor * InFeatures);                                // [batch, W, k·in]
        }
        else
        {
            var real = mask ?? ones(batch, frames, dtype: ScalarType.Bool, device: features.device);
            var counts = ConnectorContexts.PadMask(real, pad).view(batch, groups, Factor)
                .sum(2, keepdim: true, type: x.dtype).clamp_min(1);                                // [batch, W, 1]
            merged = x.reshape(batch, groups, Factor, InFeatures).sum(2) / counts;                 // [batch, W, in]
        }
        var groupMask = mask is null ? null : OutputMask(mask);                                    // [batch, W]
        var output = LinearStack.Apply(layers, Activation, merged, ConnectorContexts.For(context, groupMask, sameBatch: true));
        return output.MoveToOuterDisposeScope();                                                   // [batch, W, out]
    }

    /// <inheritdoc />
    public override Tensor OutputMask(Tensor inputMask)
    {
        using var scope = NewDisposeScope();
        long batch = inputMask.shape[0], groups = ConnectorContexts.Groups(inputMask.shape[1], Factor);
        var padded = ConnectorContexts.PadMask(inputMask.ne(0), groups * Factor - inputMask.shape[1]);  // [batch, W·k]
        return padded.view(batch, groups, Factor).any(2).MoveToOuterDisposeScope();                     // [batch, W]
    }
}
