using MMAdapt.Adapters.Common;
using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// A per-token MLP connector, LLaVA's projector: <c>y = linear_N(act(… act(linear_1(x))))</c>, every layer with bias;
/// depth 2 with GELU is <c>mlp2x_gelu</c>, depth 1 the <c>linear</c> projector.
/// </summary>
/// <remarks>
/// <para>Shapes: <c>[batch, tokens, in]</c> → <c>[batch, tokens, out]</c>; <c>linear_1</c> is <c>[out, in]</c>, every
/// further layer <c>[out, out]</c>.</para>
/// <para>Keys: <c>linear_1.weight</c>, <c>linear_1.bias</c>, <c>linear_2.weight</c>, … exactly Hugging Face
/// <c>LlavaForConditionalGeneration</c>'s <c>multi_modal_projector.linear_1</c> / <c>linear_2</c>, so a LLaVA projector
/// loads with <see cref="ConnectorInit.LoadWeights"/> and prefix <see cref="ConnectorInit.LlavaPrefix"/>; original
/// LLaVA's <c>model.mm_projector.0</c> / <c>.2</c> load with <see cref="ConnectorInit.LlavaOriginalPrefix"/>.</para>
/// <para>Padding needs no mask: tokens are independent.</para>
/// </remarks>
public sealed class MlpConnector : Connector
{
    private readonly AdaptableLinear[] layers;

    /// <summary>Creates the connector with <c>torch.nn.Linear</c>'s initialisation.</summary>
    /// <param name="inFeatures">Encoder width.</param>
    /// <param name="outFeatures">LLM hidden size.</param>
    /// <param name="depth">Number of linear layers (≥ 1).</param>
    /// <param name="activation">The activation between layers.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device (CPU when null).</param>
    /// <param name="generator">Generator for the initial weights (null: the global one).</param>
    /// <exception cref="ArgumentException">A width or the depth is not positive.</exception>
    public MlpConnector(long inFeatures, long outFeatures, int depth = 2, AdapterActivation activation = AdapterActivation.Gelu,
        ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null)
        : this(inFeatures, outFeatures, depth, activation, dtype, device, generator, null) { }

    internal MlpConnector(long inFeatures, long outFeatures, int depth, AdapterActivation activation,
        ScalarType dtype, Device? device, Generator? generator, ConnectorOptions? recorded)
        : base(nameof(MlpConnector), recorded ?? new MlpConnectorOptions { Depth = depth, Activation = AdapterActivations.NameOf(activation) })
    {
        if (depth < 1)
            throw new ArgumentOutOfRangeException(nameof(depth), $"{Describe}: depth must be at least 1, got {depth}.");
        (InFeatures, OutFeatures, Depth, Activation) = (inFeatures, outFeatures, depth, activation);
        layers = LinearStack.Create(this, inFeatures, outFeatures, depth, dtype, device, generator);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override long InFeatures { get; }

    /// <inheritdoc />
    public override long OutFeatures { get; }

    /// <summary>Number of linear layers.</summary>
    public int Depth { get; }

    /// <summary>The activation between layers.</summary>
    public AdapterActivation Activation { get; }

    /// <summary>The layers <c>linear_1</c> … <c>linear_N</c>, in order.</summary>
    public IReadOnlyList<AdaptableLinear> Layers => layers;

    /// <inheritdoc />
    public override int OutputTokens(int inputTokens)
    {
        CheckInputTokens(inputTokens);
        return inputTokens;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor features, ForwardContext? context = null)
    {
        using var mask = CheckInput(features, context);
        return LinearStack.Apply(layers, Activation, features, context);
    }

    /// <inheritdoc />
    public override Tensor OutputMask(Tensor inputMask) => inputMask.ne(0);
}
