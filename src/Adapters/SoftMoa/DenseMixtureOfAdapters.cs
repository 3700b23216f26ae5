using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Sublayers;
using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.SoftMoa;

/// <summary>
/// Dense mixture of adapters (Dense-MoA, the baseline of the Soft-MoA paper): all <c>n</c> bottleneck adapters run on
/// every token and a per-token softmax router mixes them, <c>y = Σ_e softmax(W_r x + b_r)_e · f_e(x)</c>.
/// </summary>
/// <remarks>
/// Computed as two matmuls over the concatenated adapters (<see cref="BottleneckExperts.Mixed"/>), never a loop over
/// experts. The router <c>W_r</c> <c>[n, d]</c>, <c>b_r</c> <c>[n]</c> starts as <c>torch.nn.Linear</c> does; the adapters'
/// up projections start at zero, so the mixture starts as the identity. Tokens stay independent: it may sit in causal
/// decoders. Keys: <c>router_weight</c>, <c>router_bias</c>, <c>experts.*</c>.
/// </remarks>
public sealed class DenseMixtureOfAdapters : ResidualSublayerAdapter
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter router_weight, router_bias;
    private readonly BottleneckExperts experts;
#pragma warning restore IDE1006

    /// <summary>Creates the mixture.</summary>
    /// <param name="hidden">Token width.</param>
    /// <param name="experts">Number of adapters.</param>
    /// <param name="bottleneck">Each adapter's middle width.</param>
    /// <param name="activation">The adapters' nonlinearity.</param>
    /// <param name="scaling">Factor on the adapters' outputs.</param>
    /// <param name="parallel">True: reads the block's input; false: its output.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for the router and the down projections.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public DenseMixtureOfAdapters(long hidden, long experts, long bottleneck, AdapterActivation activation, double scaling, bool parallel,
        ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null)
        : this(hidden, new DenseMoaSettings(experts, bottleneck, activation, scaling, parallel), dtype, device, generator)
    {
    }

    /// <summary>Creates the mixture from its settings.</summary>
    /// <param name="hidden">Token width.</param>
    /// <param name="settings">Adapters, middle width, nonlinearity, scaling, parallel or sequential.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for the router and the down projections.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public DenseMixtureOfAdapters(long hidden, DenseMoaSettings settings, ScalarType dtype = ScalarType.Float32, Device? device = null,
        Generator? generator = null)
        : base(nameof(DenseMixtureOfAdapters), settings.Parallel)
    {
        AdapterInit.RequirePositive(settings.Experts, "experts", nameof(DenseMixtureOfAdapters));
        AdapterInit.RequirePositive(hidden, nameof(hidden), nameof(DenseMixtureOfAdapters));
        Settings = settings;
        double bound = AdapterInit.LinearBound(hidden);
        router_weight = AdapterInit.Uniform([settings.Experts, hidden], bound, generator, dtype, device);
        router_bias = AdapterInit.Uniform([settings.Experts], bound, generator, dtype, device);
        experts = new BottleneckExperts(settings.Experts, hidden, settings.Bottleneck, settings.Activation, settings.Scaling, dtype, device, generator);
        RegisterComponents();
    }

    /// <summary>What the mixture was built with (what <c>mmadapt_config.json</c> saves).</summary>
    public DenseMoaSettings Settings { get; }

    /// <summary>The router weight <c>[n, d]</c>.</summary>
    public Parameter RouterWeight => router_weight;

    /// <summary>The router bias <c>[n]</c>.</summary>
    public Parameter RouterBias => router_bias;

    /// <summary>The stacked adapters.</summary>
    public BottleneckExperts Experts => experts;

    /// <inheritdoc />
    public override Tensor Change(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var gates = RouterProbabilities(x);                          // [batch, T, n]
        return experts.Mixed(x, gates).MoveToOuterDisposeScope();    // [batch, T, d]
    }

    /// <summary>The router's per-token probabilities <c>[batch, T, n]</c> (sum to 1 over experts).</summary>
    internal Tensor RouterProbabilities(Tensor x)
    {
        using var scope = NewDisposeScope();
        return nn.functional.linear(x, router_weight, router_bias).softmax(-1).MoveToOuterDisposeScope();
    }
}
