using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>Entropy of distributions over experts, safe at <c>p = 0</c> (<c>0 · log 0 = 0</c>, finite gradients).</summary>
internal static class Entropy
{
    /// <summary><c>−Σ_e p_e log p_e</c> along the last dimension.</summary>
    public static Tensor Of(Tensor p) => -(p * p.clamp_min(1e-30).log()).sum(-1);
}
