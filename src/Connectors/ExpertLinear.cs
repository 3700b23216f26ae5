using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// One linear layer of E experts, stacked: <c>weight</c> <c>[E, out, in]</c> and <c>bias</c> <c>[E, out]</c> (expert
/// <c>e</c>'s layer is <c>weight[e]</c>, <c>bias[e]</c>, as <c>torch.nn.Linear</c> stores it), each expert initialised
/// as <c>torch.nn.Linear</c>.
/// </summary>
public sealed class ExpertLinear : nn.Module
{
    [ComponentName(Name = "weight")]
    private readonly Parameter weight;
    [ComponentName(Name = "bias")]
    private readonly Parameter bias;

    /// <summary>Creates the stacked layer.</summary>
    /// <param name="experts">E.</param>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Generator for the initial weights.</param>
    public ExpertLinear(int experts, long inFeatures, long outFeatures, ScalarType dtype, Device? device, Generator? generator)
        : base(nameof(ExpertLinear))
    {
        (Experts, InFeatures, OutFeatures) = (experts, inFeatures, outFeatures);
        double bound = 1 / Math.Sqrt(inFeatures);
        using (no_grad())
        {
            weight = new Parameter(empty(experts, outFeatures, inFeatures, dtype: dtype, device: device).uniform_(-bound, bound, generator));
            bias = new Parameter(empty(experts, outFeatures, dtype: dtype, device: device).uniform_(-bound, bound, generator));
        }
        RegisterComponents();
    }

    /// <summary>E.</summary>
    public int Experts { get; }

    /// <summary>Input width.</summary>
    public long InFeatures { get; }

    /// <summary>Output width.</summary>
    public long OutFeatures { get; }

    /// <summary>The stacked weights <c>[E, out, in]</c>.</summary>
    public Parameter Weight => weight;

    /// <summary>The stacked biases <c>[E, out]</c>.</summary>
    public Parameter Bias => bias;
}
