using MMAdapt.Adapters.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Pill;

/// <summary>
/// PILL's gated adapter ("PILL: Plug Into LLM with Adapter Expert and Attention Gate", 2023): a
/// gated linear unit in a bottleneck, <c>A(x) = (act(x·W_gateᵀ) ⊙ (x·W_downᵀ))·W_upᵀ</c>, with <c>act</c> = SiLU as in
/// PILL (sigmoid gives the classic GLU).
/// </summary>
/// <remarks>
/// Keys and shapes: <c>down_proj</c> <c>[bottleneck, hidden]</c> ~ N(0, 0.02²) and <c>gate_proj</c> <c>[bottleneck, hidden]</c>
/// ~ U(±1/√hidden) (<c>torch.nn.Linear</c>'s default), as PILL initialises them; <c>up_proj</c> <c>[hidden, bottleneck]</c>
/// is zero, so <c>A(x) = 0</c> at first. No biases. <see cref="ModalityAdapterExperts"/> runs several of these at once.
/// </remarks>
public sealed class GluAdapter : nn.Module
{
    /// <summary>The standard deviation PILL draws <c>W_down</c> from.</summary>
    public const double DownStd = 0.02;

#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter down_proj, gate_proj, up_proj;
#pragma warning restore IDE1006

    /// <summary>Creates the adapter.</summary>
    /// <param name="hidden">Input and output width.</param>
    /// <param name="bottleneck">Middle width.</param>
    /// <param name="gateActivation">The gate's nonlinearity (SiLU in PILL).</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for <c>W_down</c> and <c>W_gate</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A width is not positive.</exception>
    public GluAdapter(long hidden, long bottleneck, AdapterActivation gateActivation, ScalarType dtype = ScalarType.Float32,
        Device? device = null, Generator? generator = null) : base(nameof(GluAdapter))
    {
        AdapterInit.RequirePositive(hidden, nameof(hidden), nameof(GluAdapter));
        AdapterInit.RequirePositive(bottleneck, nameof(bottleneck), nameof(GluAdapter));
        GateActivation = gateActivation;
        down_proj = AdapterInit.Normal([bottleneck, hidden], DownStd, generator, dtype, device);
        gate_proj = AdapterInit.Uniform([bottleneck, hidden], AdapterInit.LinearBound(hidden), generator, dtype, device);
        up_proj = AdapterInit.Zeros([hidden, bottleneck], dtype, device);
        RegisterComponents();
    }

    /// <summary>The gate's nonlinearity.</summary>
    public AdapterActivation GateActivation { get; }

    /// <summary>Middle width.</summary>
    public long Bottleneck => down_proj.shape[0];

    /// <summary><c>W_down</c> <c>[bottleneck, hidden]</c>.</summary>
    public Parameter DownProjection => down_proj;

    /// <summary><c>W_gate</c> <c>[bottleneck, hidden]</c>.</summary>
    public Parameter GateProjection => gate_proj;

    /// <summary><c>W_up</c> <c>[hidden, bottleneck]</c> (zero at initialisation).</summary>
    public Parameter UpProjection => up_proj;

    /// <summary><c>A(x)</c>: <c>[..., hidden]</c> → <c>[..., hidden]</c>.</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var middle = AdapterActivations.Apply(GateActivation, nn.functional.linear(x, gate_proj)) * nn.functional.linear(x, down_proj);
        return nn.functional.linear(middle, up_proj).MoveToOuterDisposeScope();
    }
}
