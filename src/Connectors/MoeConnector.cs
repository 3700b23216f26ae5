using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Routing;
using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// CuMo's mixture-of-experts MLP connector: per token, <c>y = Σ_e g_e(x) · MLP_e(x)</c> with gates <c>g</c> from a
/// <see cref="TokenRouter"/> over the encoder features and E experts of <see cref="MlpConnector"/>'s shape.
/// </summary>
/// <remarks>
/// <para>Shapes: <c>[batch, tokens, in]</c> → <c>[batch, tokens, out]</c>; the router sees the <c>batch·tokens</c>
/// tokens flattened, with the context's mask as token mask (padding is left out of aux losses and statistics).</para>
/// <para>Experts are computed batched, never in a loop over experts (see <see cref="MlpExperts"/>).</para>
/// <para>Keys: <c>router.weight</c> <c>[E, in]</c> (and <c>router.noise_weight</c> / <c>router.thresholds</c> for
/// strategies that use them); <c>experts.linear_1.weight</c> <c>[E, out, in]</c>, <c>experts.linear_1.bias</c>
/// <c>[E, out]</c>, <c>experts.linear_j.weight</c> <c>[E, out, out]</c>, … — expert <c>e</c>'s slice is exactly an
/// <see cref="MlpConnector"/>'s <c>linear_j</c>.</para>
/// <para>In training (module in training mode and a context given), each aux loss goes to <c>context.Sink</c> as
/// <c>&lt;Name&gt;/&lt;loss&gt;</c>; routing statistics go to <see cref="Statistics"/> when set. No host synchronisation.</para>
/// </remarks>
public sealed class MoeConnector : Connector
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly TokenRouter router;
    private readonly MlpExperts experts;
#pragma warning restore IDE1006
    private readonly AuxLossSet? auxLosses;

    /// <summary>Creates the connector: experts initialised as <c>torch.nn.Linear</c>, the router as its options say.</summary>
    /// <param name="inFeatures">Encoder width.</param>
    /// <param name="outFeatures">LLM hidden size.</param>
    /// <param name="experts">E (≥ 1).</param>
    /// <param name="depth">Linear layers per expert (≥ 1).</param>
    /// <param name="activation">Activation between an expert's layers.</param>
    /// <param name="strategy">How router logits become gates (validated against E).</param>
    /// <param name="auxLosses">Aux losses added to the sink in training (validated against E).</param>
    /// <param name="router">Router temperature, jitter, float32 math, initialisation.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Generator for the initial weights.</param>
    /// <exception cref="ArgumentException">A size, the strategy, a loss or a router option does not fit.</exception>
    public MoeConnector(long inFeatures, long outFeatures, int experts, int depth, AdapterActivation activation, RoutingStrategy strategy,
        IReadOnlyList<AuxLoss> auxLosses, RouterOptions router, ScalarType dtype = ScalarType.Float32, Device? device = null,
        Generator? generator = null)
        : this(inFeatures, outFeatures, experts, depth, activation, strategy, auxLosses, router, dtype, device, generator, null) { }

    internal MoeConnector(long inFeatures, long outFeatures, int experts, int depth, AdapterActivation activation, RoutingStrategy strategy,
        IReadOnlyList<AuxLoss> auxLosses, RouterOptions router, ScalarType dtype, Device? device, Generator? generator, ConnectorOptions? recorded)
        : base(nameof(MoeConnector), recorded ?? new MoeConnectorOptions
        {
            Experts = experts, Depth = depth, Activation = AdapterActivations.NameOf(activation), Strategy = strategy.ToSpec(),
            AuxLosses = auxLosses.Select(l => l.ToSpec()).ToList(), Router = router,
        })
    {
        if (experts < 1 || depth < 1)
            throw new ArgumentException($"{Describe}: 'experts' ({experts}) and 'depth' ({depth}) must be at least 1.");
        (InFeatures, OutFeatures, Experts, Depth, Activation) = (inFeatures, outFeatures, experts, depth, activation);
        this.router = new TokenRouter(inFeatures, experts, strategy, router, dtype, device, generator);
        this.experts = new MlpExperts(experts, inFeatures, outFeatures, depth, activation, dtype, device, generator);
        if (auxLosses.Count > 0)
            this.auxLosses = new AuxLossSet(auxLosses, experts);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override long InFeatures { get; }

    /// <inheritdoc />
    public override long OutFeatures { get; }

    /// <summary>Number of experts E.</summary>
    public int Experts { get; }

    /// <summary>Linear layers per expert.</summary>
    public int Depth { get; }

    /// <summary>Activation between an expert's layers.</summary>
    public AdapterActivation Activation { get; }

    /// <summary>The router.</summary>
    public TokenRouter Router => router;

    /// <summary>The stacked experts.</summary>
    public MlpExperts ExpertStack => experts;

    /// <summary>Where routing statistics are recorded (under <see cref="Connector.Name"/>), or null.</summary>
    public RoutingStatistics? Statistics { get; set; }

    /// <inheritdoc />
    public override int OutputTokens(int inputTokens)
    {
        CheckInputTokens(inputTokens);
        return inputTokens;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor features, ForwardContext? context = null)
    {
        using var scope = NewDisposeScope();
        var mask = CheckInput(features, context);
        long batch = features.shape[0], tokens = features.shape[1];
        var x = features.reshape(batch * tokens, InFeatures);                       // [N, in]
        var tokenMask = mask?.reshape(batch * tokens);                              // [N] or null
        var decision = router.Forward(x, new RoutingInputs(tokenMask, training));
        var y = experts.Forward(x, decision.Gates.to(experts.Layers[0].Weight.dtype)); // [N, out]
        if (training && auxLosses is not null && context is not null)
            auxLosses.Add(context.Sink, Name, decision, tokenMask);
        Statistics?.Record(Name, decision, tokenMask);
        return y.view(batch, tokens, OutFeatures).MoveToOuterDisposeScope();       // [batch, tokens, out]
    }

    /// <inheritdoc />
    public override Tensor OutputMask(Tensor inputMask) => inputMask.ne(0);

    /// <summary>Advances the adaptive λ of a ReLU router's L1 loss (call once per optimiser step).</summary>
    public void StepAuxLosses() => auxLosses?.Step();

    /// <summary>Frees the aux-loss state with the module.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            auxLosses?.Dispose();
        base.Dispose(disposing);
    }
}
