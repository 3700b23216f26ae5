namespace MMAdapt.Encoders.Vision;

/// <summary>
/// Which vision features a multimodal model consumes, as LLaVA-style models choose them.
/// </summary>
/// <param name="Layer">Hugging Face <c>hidden_states</c> index (negative counts from the end: LLaVA uses -2,
/// the second-to-last layer's output, without the post-norm), or null for the last layer after the post-norm.</param>
/// <param name="KeepClassToken">Keep CLIP's class token (LLaVA's "patch" strategy drops it; "cls_patch" keeps it).
/// SigLIP has none, so this is ignored there.</param>
public sealed record VisionFeatureSelection(int? Layer = null, bool KeepClassToken = true)
{
    /// <summary>LLaVA 1.5's choice: layer -2, class token dropped.</summary>
    public static VisionFeatureSelection Llava { get; } = new(-2, KeepClassToken: false);

    /// <summary>The last layer after the post-norm, every token.</summary>
    public static VisionFeatureSelection LastLayer { get; } = new();
}
