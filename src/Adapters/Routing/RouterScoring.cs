namespace MMAdapt.Adapters.Routing;

/// <summary>How a <see cref="TokenRouter"/> turns its input into logits for a strategy.</summary>
public enum RouterScoring
{
    /// <summary>A linear map without bias: <c>logits = x·Wᵀ</c>.</summary>
    Linear,

    /// <summary>Cosine similarity between the token and each expert's key (DynMoE):
    /// <c>logits_te = (x_t / ‖x_t‖) · (W_e / ‖W_e‖)</c>, in <c>[-1, 1]</c> before the temperature.</summary>
    Cosine,
}
