using MMAdapt.Adapters.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.SoftMoa;

/// <summary>
/// <c>n</c> bottleneck adapters with their weights stacked, so that all of them run in one batched matmul:
/// expert <c>e</c> computes <c>f_e(x) = s · (act(x · D_e + b_e) · U_e + c_e)</c>.
/// </summary>
/// <remarks>
/// Keys and shapes: <c>down_proj</c> <c>[n, hidden, bottleneck]</c> (Xavier-uniform per expert), <c>down_bias</c>
/// <c>[n, bottleneck]</c>, <c>up_proj</c> <c>[n, bottleneck, hidden]</c> and <c>up_bias</c> <c>[n, hidden]</c> (zero:
/// every expert starts as the zero function, so a mixture of them starts as the identity).
/// </remarks>
public sealed class BottleneckExperts : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter down_proj, down_bias, up_proj, up_bias;
#pragma warning restore IDE1006
    private readonly long experts, hidden, bottleneck;

    /// <summary>Creates the experts.</summary>
    /// <param name="experts">Number of experts <c>n</c>.</param>
    /// <param name="hidden">Input and output width.</param>
    /// <param name="bottleneck">Each expert's middle width.</param>
    /// <param name="activation">The middle nonlinearity.</param>
    /// <param name="scaling">The factor <c>s</c>.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for the down projections.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public BottleneckExperts(long experts, long hidden, long bottleneck, AdapterActivation activation, double scaling,
        ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null) : base(nameof(BottleneckExperts))
    {
        AdapterInit.RequirePositive(experts, nameof(experts), nameof(BottleneckExperts));
        AdapterInit.RequirePositive(hidden, nameof(hidden), nameof(BottleneckExperts));
        AdapterInit.RequirePositive(bottleneck, nameof(bottleneck), nameof(BottleneckExperts));
        (this.experts, this.hidden, this.bottleneck) = (experts, hidden, bottleneck);
        Activation = activation;
        Scaling = scaling;
        down_proj = AdapterInit.Uniform([experts, hidden, bottleneck], AdapterInit.XavierBound(hidden, bottleneck), generator, dtype, device);
        down_bias = AdapterInit.Zeros([experts, bottleneck], dtype, device);
        up_proj = AdapterInit.Zeros([experts, bottleneck, hidden], dtype, device);
        up_bias = AdapterInit.Zeros([experts, hidden], dtype, device);
        RegisterComponents();
    }

    /// <summary>Number of experts.</summary>
    public long Count => experts;

    /// <summary>Each expert's middle width.</summary>
    public long Bottleneck => bottleneck;

    /// <summary>The middle nonlinearity.</summary>
    public AdapterActivation Activation { get; }

    /// <summary>The factor <c>s</c>.</summary>
    public double Scaling { get; }

    /// <summary><c>[n, hidden, bottleneck]</c></summary>
    public Parameter DownProjection => down_proj;

    /// <summary><c>[n, bottleneck]</c></summary>
    public Parameter DownBias => down_bias;

    /// <summary><c>[n, bottleneck, hidden]</c> (zero at initialisation).</summary>
    public Parameter UpProjection => up_proj;

    /// <summary><c>[n, hidden]</c> (zero at initialisation).</summary>
    public Parameter UpBias => up_bias;

    /// <summary>Each expert on its own inputs: <c>[batch, n, slots, hidden]</c> → <c>[batch, n, slots, hidden]</c>
    /// (two einsums, whatever <c>n</c> is).</summary>
    public Tensor PerExpert(Tensor x)
    {
        using var scope = NewDisposeScope();
        var middle = torch.einsum("bnpd,ndr->bnpr", x, down_proj) + down_bias.view(1, experts, 1, bottleneck); // [batch, n, slots, bottleneck]
        middle = AdapterActivations.Apply(Activation, middle);
        var output = torch.einsum("bnpr,nrd->bnpd", middle, up_proj) + up_bias.view(1, experts, 1, hidden);    // [batch, n, slots, hidden]
        return Scaled(output).MoveToOuterDisposeScope();
    }

    /// <summary>Every expert on every token, mixed by per-token weights: <c>Σ_e g_e · f_e(x)</c>, as two matmuls
    /// over the concatenated experts (<c>x·D_cat</c>, then <c>(h ⊙ expand(g))·U_cat</c>).</summary>
    /// <param name="x"><c>[batch, tokens, hidden]</c></param>
    /// <param name="gates"><c>[batch, tokens, n]</c></param>
    /// <returns><c>[batch, tokens, hidden]</c></returns>
    public Tensor Mixed(Tensor x, Tensor gates)
    {
        using var scope = NewDisposeScope();
        long width = experts * bottleneck;
        var downCat = down_proj.permute(1, 0, 2).reshape(hidden, width);                        // [hidden, n·bottleneck]
        var middle = AdapterActivations.Apply(Activation, x.matmul(downCat) + down_bias.reshape(width)); // [batch, tokens, n·bottleneck]
        var expanded = gates.repeat_interleave(bottleneck, dim: -1);                             // [batch, tokens, n·bottleneck]
        var output = (middle * expanded).matmul(up_proj.reshape(width, hidden)) + gates.matmul(up_bias); // [batch, tokens, hidden]
        return Scaled(output).MoveToOuterDisposeScope();
    }

    private Tensor Scaled(Tensor t) => Scaling == 1.0 ? t : t * Scaling;
}
