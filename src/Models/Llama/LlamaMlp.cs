using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Models.Llama;

/// <summary>
/// SwiGLU feed-forward block (Shazeer, 2020): <c>down(silu(gate(x)) ⊙ up(x))</c>.
/// Keys: <c>gate_proj</c>, <c>up_proj</c>, <c>down_proj</c>.
/// </summary>
public sealed class LlamaMlp : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly AdaptableLinear gate_proj, up_proj, down_proj;
#pragma warning restore IDE1006

    /// <summary>Creates the block for a config.</summary>
    public LlamaMlp(LlamaConfig config, ScalarType dtype, Device? device) : base(nameof(LlamaMlp))
    {
        gate_proj = new AdaptableLinear(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype, device);
        up_proj = new AdaptableLinear(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype, device);
        down_proj = new AdaptableLinear(config.IntermediateSize, config.HiddenSize, config.MlpBias, dtype, device);
        RegisterComponents();
    }

    /// <summary><c>[batch, tokens, hidden]</c> → <c>[batch, tokens, hidden]</c>.</summary>
    public Tensor Forward(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var hidden = nn.functional.silu(gate_proj.Forward(x, context)) * up_proj.Forward(x, context); // [batch, tokens, intermediate]
        return down_proj.Forward(hidden, context).MoveToOuterDisposeScope();
    }
}
