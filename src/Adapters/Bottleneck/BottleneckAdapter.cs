using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Sublayers;
using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Bottleneck;

/// <summary>
/// A bottleneck adapter around one block: <c>f(x) = s · (W_up · act(W_down · x + b_down) + b_up)</c>, added to the
/// block's output in sequence (Houlsby et al., 2019; Pfeiffer et al., 2020: <c>out + f(out)</c>) or in parallel
/// (He et al., 2022: <c>out + f(input)</c>).
/// </summary>
/// <remarks>
/// <para><c>W_down</c> <c>[bottleneck, hidden]</c> is Xavier-uniform and <c>W_up</c> <c>[hidden, bottleneck]</c>
/// is zero, as are both biases, so the adapter starts as the identity and still learns: the first step moves
/// <c>W_up</c>, whose gradient is <c>act(W_down x)</c>, nonzero. (Zeroing both projections, as PETL_AST's
/// <c>Bottleneck_adapter</c> does, leaves both weight gradients zero for ReLU/GELU forever: only the output bias trains.)</para>
/// <para>Keys: <c>down_proj</c>, <c>down_bias</c>, <c>up_proj</c>, <c>up_bias</c>. Shapes: <c>[batch, tokens, hidden]</c>
/// in and out.</para>
/// </remarks>
public sealed class BottleneckAdapter : ResidualSublayerAdapter
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter down_proj, down_bias, up_proj, up_bias;
#pragma warning restore IDE1006

    /// <summary>Creates the adapter.</summary>
    /// <param name="hidden">The block's width.</param>
    /// <param name="bottleneck">The adapter's middle width.</param>
    /// <param name="activation">The middle nonlinearity.</param>
    /// <param name="scaling">The factor <c>s</c>.</param>
    /// <param name="parallel">True: reads the block's input; false: its output.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for <c>W_down</c> (null: the global one).</param>
    /// <exception cref="ArgumentOutOfRangeException">A width is not positive.</exception>
    public BottleneckAdapter(long hidden, long bottleneck, AdapterActivation activation, double scaling, bool parallel,
        ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null)
        : this(hidden, new BottleneckSettings(bottleneck, activation, scaling, parallel), dtype, device, generator)
    {
    }

    /// <summary>Creates the adapter from its settings.</summary>
    /// <param name="hidden">The block's width.</param>
    /// <param name="settings">Middle width, nonlinearity, scaling, parallel or sequential.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for <c>W_down</c> (null: the global one).</param>
    /// <exception cref="ArgumentOutOfRangeException">A width is not positive.</exception>
    public BottleneckAdapter(long hidden, BottleneckSettings settings, ScalarType dtype = ScalarType.Float32, Device? device = null,
        Generator? generator = null)
        : base(nameof(BottleneckAdapter), settings.Parallel)
    {
        AdapterInit.RequirePositive(hidden, nameof(hidden), nameof(BottleneckAdapter));
        AdapterInit.RequirePositive(settings.Bottleneck, "bottleneck", nameof(BottleneckAdapter));
        Settings = settings;
        long bottleneck = settings.Bottleneck;
        down_proj = AdapterInit.Uniform([bottleneck, hidden], AdapterInit.XavierBound(hidden, bottleneck), generator, dtype, device);
        down_bias = AdapterInit.Zeros([bottleneck], dtype, device);
        up_proj = AdapterInit.Zeros([hidden, bottleneck], dtype, device);
        up_bias = AdapterInit.Zeros([hidden], dtype, device);
        RegisterComponents();
    }

    /// <summary>What the adapter was built with (what <c>mmadapt_config.json</c> saves).</summary>
    public BottleneckSettings Settings { get; }

    /// <summary>The middle nonlinearity.</summary>
    public AdapterActivation Activation => Settings.Activation;

    /// <summary>The factor <c>s</c>.</summary>
    public double Scaling => Settings.Scaling;

    /// <summary><c>W_down</c> <c>[bottleneck, hidden]</c>.</summary>
    public Parameter DownProjection => down_proj;

    /// <summary><c>W_up</c> <c>[hidden, bottleneck]</c> (zero at initialisation).</summary>
    public Parameter UpProjection => up_proj;

    /// <inheritdoc />
    public override Tensor Change(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var middle = AdapterActivations.Apply(Activation, nn.functional.linear(x, down_proj, down_bias)); // [batch, tokens, bottleneck]
        var change = nn.functional.linear(middle, up_proj, up_bias);                                     // [batch, tokens, hidden]
        return (Scaling == 1.0 ? change : change * Scaling).MoveToOuterDisposeScope();
    }
}
