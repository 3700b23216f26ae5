using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MMAdapt.Models.Layers;

/// <summary>
/// Root-mean-square layer norm (Zhang and Sennrich, 2019) as Llama uses it:
/// <c>y = w ⊙ x / sqrt(mean(x²) + eps)</c>, with the statistics in float32 whatever the input dtype,
/// and the result cast back before scaling (so bf16 models match Hugging Face's rounding).
/// </summary>
/// <remarks>Input <c>[..., hidden]</c>, output the same shape and dtype. Key: <c>weight</c> <c>[hidden]</c>.</remarks>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private readonly Parameter weight;
    private readonly Scalar eps;   // held by the module (see LiveScalars)

    /// <summary>Creates the norm with unit weight.</summary>
    public RmsNorm(long hiddenSize, double eps, ScalarType? dtype = null, Device? device = null) : base(nameof(RmsNorm))
    {
        this.eps = eps.ToScalar();
        weight = new Parameter(ones(hiddenSize, dtype: dtype ?? ScalarType.Float32, device: device));
        RegisterComponents();
    }

    /// <summary>The scale <c>[hidden]</c>.</summary>
    public Parameter Weight => weight;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to(ScalarType.Float32);
        var variance = x.pow(LiveScalars.Two).mean([-1], keepdim: true);
        var normalised = (x * variance.add(eps, LiveScalars.One).rsqrt()).to(input.dtype);
        return (weight * normalised).MoveToOuterDisposeScope();
    }
}
