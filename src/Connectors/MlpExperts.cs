using MMAdapt.Adapters.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// E MLP experts of <see cref="MlpConnector"/>'s shape, stacked layer by layer (<c>linear_j</c> is an
/// <see cref="ExpertLinear"/>), and their gated sum computed without a loop over experts:
/// <c>y_n = Σ_e g_ne · MLP_e(x_n)</c>.
/// </summary>
/// <remarks>
/// <para>Computation, for tokens <c>x</c> <c>[N, in]</c> and gates <c>g</c> <c>[N, E]</c> (zero where unselected):</para>
/// <list type="number">
/// <item>layer 1 is one matmul with the experts' weights side by side: <c>x · W₁.view(E·out, in)ᵀ</c> → <c>[N, E, out]</c>;</item>
/// <item>middle layers are batched over experts (<c>einsum("neh,eoh->neo")</c>, a bmm);</item>
/// <item>the last layer folds the gates into the activations and the sum over experts into the contraction
/// (DESIGN.md's gate-matrix trick): <c>y = einsum("neh,eoh->no", g ⊙ h, W_N) + g · b_N</c>, one matmul over
/// <c>E·out</c>.</item>
/// </list>
/// <para>Every expert runs on every token (dense compute, E times one MLP): for a nonlinear expert that is the price
/// of routing without a host synchronisation (sparse dispatch needs per-expert token counts on the host, or capacity
/// padding that drops tokens). Unselected pairs have gate 0, so they add nothing and get no gradient.</para>
/// </remarks>
public sealed class MlpExperts : nn.Module
{
    private readonly ExpertLinear[] layers;

    /// <summary>Creates the experts (each initialised as <c>torch.nn.Linear</c>) and registers <c>linear_1</c> … <c>linear_depth</c>.</summary>
    /// <param name="experts">E.</param>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width (also every hidden width, as LLaVA's projector).</param>
    /// <param name="depth">Linear layers per expert.</param>
    /// <param name="activation">Activation between layers.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Generator for the initial weights.</param>
    public MlpExperts(int experts, long inFeatures, long outFeatures, int depth, AdapterActivation activation,
        ScalarType dtype, Device? device, Generator? generator) : base(nameof(MlpExperts))
    {
        Activation = activation;
        layers = new ExpertLinear[depth];
        for (int j = 0; j < depth; j++)
        {
            layers[j] = new ExpertLinear(experts, j == 0 ? inFeatures : outFeatures, outFeatures, dtype, device, generator);
            register_module($"linear_{j + 1}", layers[j]);
        }
        RegisterComponents();
    }

    /// <summary>The stacked layers <c>linear_1</c> … <c>linear_N</c>.</summary>
    public IReadOnlyList<ExpertLinear> Layers => layers;

    /// <summary>The activation between layers.</summary>
    public AdapterActivation Activation { get; }

    /// <summary>The gated sum of the experts.</summary>
    /// <param name="x">Tokens <c>[N, in]</c>.</param>
    /// <param name="gates">Gates <c>[N, E]</c> in the parameters' dtype.</param>
    /// <returns><c>[N, out]</c>.</returns>
    public Tensor Forward(Tensor x, Tensor gates)
    {
        using var scope = NewDisposeScope();
        var first = layers[0];
        long n = x.shape[0], e = first.Experts, width = first.OutFeatures;
        var h = nn.functional.linear(x, first.Weight.view(e * width, first.InFeatures), first.Bias.view(e * width))
            .view(n, e, width);                                                                     // [N, E, out]
        if (layers.Length == 1)
            return einsum("ne,neo->no", gates, h).MoveToOuterDisposeScope();                        // [N, out]
        for (int j = 1; j < layers.Length - 1; j++)
            h = einsum("neh,eoh->neo", AdapterActivations.Apply(Activation, h), layers[j].Weight) + layers[j].Bias; // [N, E, out]
        var last = layers[^1];
        var gated = AdapterActivations.Apply(Activation, h) * gates.unsqueeze(-1);                  // [N, E, out]
        return (einsum("neh,eoh->no", gated, last.Weight) + gates.matmul(last.Bias)).MoveToOuterDisposeScope(); // [N, out]
    }
}
