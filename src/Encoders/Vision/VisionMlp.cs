using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Vision;

/// <summary>MLP of a CLIP/SigLIP layer: <c>fc2(act(fc1(x)))</c>. Keys: <c>fc1</c>, <c>fc2</c>.</summary>
public sealed class VisionMlp : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AdaptableLinear fc1, fc2;
#pragma warning restore IDE1006
    private readonly Func<Tensor, Tensor> activation;

    /// <summary>Creates the MLP.</summary>
    public VisionMlp(int hidden, int intermediate, Func<Tensor, Tensor> activation, ScalarType dtype, Device? device) : base(nameof(VisionMlp))
    {
        this.activation = activation;
        fc1 = new AdaptableLinear(hidden, intermediate, true, dtype, device);
        fc2 = new AdaptableLinear(intermediate, hidden, true, dtype, device);
        RegisterComponents();
    }

    /// <summary><c>[batch, tokens, hidden]</c> → <c>[batch, tokens, hidden]</c>.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        return fc2.Forward(activation(fc1.Forward(x, context)), context).MoveToOuterDisposeScope();
    }
}
