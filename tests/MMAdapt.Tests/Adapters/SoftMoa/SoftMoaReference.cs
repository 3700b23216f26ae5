using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.SoftMoa;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.SoftMoa;

/// <summary>
/// The slow, obvious versions of the mixtures, written from the papers' formulas with a loop over every expert and
/// slot, to check the batched modules against (Soft MoE: Puigcerver et al., 2023).
/// </summary>
internal static class SoftMoaReference
{
    /// <summary>Expert <paramref name="e"/> of the stack on <paramref name="x"/> <c>[..., d]</c>.</summary>
    public static Tensor Expert(BottleneckExperts experts, int e, Tensor x)
    {
        var middle = AdapterActivations.Apply(experts.Activation, x.matmul(experts.DownProjection[e]) + experts.DownBias[e]);
        return (middle.matmul(experts.UpProjection[e]) + experts.UpBias[e]) * experts.Scaling;
    }

    /// <summary>Soft-MoA's change <c>Y</c> <c>[batch, T, d]</c> for tokens <paramref name="x"/> <c>[batch, T, d]</c>.</summary>
    public static Tensor Soft(SoftMixtureOfAdapters moa, Tensor x, Tensor? mask = null)
    {
        var keys = x;
        var phi = (Tensor)moa.Phi;
        if (moa.Normalize)
        {
            keys = x / (x.square().sum(-1, keepdim: true) + 1e-6).sqrt();
            phi = phi / (phi.square().sum(0, keepdim: true) + 1e-6).sqrt() * moa.Scale!;
        }
        var logits = keys.matmul(phi);                                                  // [batch, T, n·p]
        var dispatchLogits = mask is null ? logits : logits.masked_fill(mask.eq(0).unsqueeze(-1), double.NegativeInfinity);
        var dispatch = dispatchLogits.softmax(1);
        var combine = logits.softmax(2);
        var y = zeros_like(x);
        for (int e = 0; e < moa.ExpertCount; e++)
            for (int j = 0; j < moa.Slots; j++)
            {
                int slot = e * (int)moa.Slots + j;
                var slotInput = (dispatch[.., .., slot].unsqueeze(-1) * x).sum(1);     // [batch, d]
                var slotOutput = Expert(moa.Experts, e, slotInput);                       // [batch, d]
                y = y + combine[.., .., slot].unsqueeze(-1) * slotOutput.unsqueeze(1);   // [batch, T, d]
            }
        return y;
    }

    /// <summary>Dense-MoA's change: <c>Σ_e softmax(router(x))_e · f_e(x)</c>.</summary>
    public static Tensor Dense(DenseMixtureOfAdapters moa, Tensor x)
    {
        var gates = nn.functional.linear(x, moa.RouterWeight, moa.RouterBias).softmax(-1);
        var y = zeros_like(x);
        for (int e = 0; e < moa.Experts.Count; e++)
            y = y + gates[.., .., e].unsqueeze(-1) * Expert(moa.Experts, e, x);
        return y;
    }

    /// <summary>Gives every parameter of <paramref name="module"/> random values (so zero-initialised halves take part).</summary>
    public static void Randomize(nn.Module module, int seed)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var p in module.parameters())
            p.copy_(p.dim() == 0 ? rand([], generator: generator) + 0.5 : randn(p.shape, generator: generator) * 0.3);
    }
}
