namespace MMAdapt.Finetune.Pretraining;

/// <summary>Held-out accuracy of one attribute head.</summary>
/// <param name="Features">Which features the head reads, one of <see cref="TowerFeatures"/>' names.</param>
/// <param name="Attribute">The attribute, e.g. <c>colour</c>.</param>
/// <param name="Accuracy">Fraction of held-out examples classified right.</param>
public sealed record AttributeAccuracy(string Features, string Attribute, double Accuracy);

/// <summary>What a tower pretraining run did.</summary>
/// <param name="Folder">The checkpoint folder written.</param>
/// <param name="Parameters">Parameters of the tower (heads excluded).</param>
/// <param name="TrainingExamples">Distinct training examples.</param>
/// <param name="HeldOutExamples">Examples accuracy was measured on, never trained on.</param>
/// <param name="FirstLoss">Summed cross-entropy of the first step.</param>
/// <param name="FinalLoss">Mean summed cross-entropy over the last 20 steps.</param>
/// <param name="HeldOutAccuracy">Per attribute and feature readout.</param>
/// <param name="Seconds">Wall time of the whole run, data generation included.</param>
public sealed record TowerPretrainingReport(string Folder, long Parameters, int TrainingExamples, int HeldOutExamples,
    double FirstLoss, double FinalLoss, IReadOnlyList<AttributeAccuracy> HeldOutAccuracy, double Seconds)
{
    /// <summary>The held-out accuracy of <paramref name="attribute"/> read from <paramref name="features"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such head.</exception>
    public double Accuracy(string attribute, string features) =>
        HeldOutAccuracy.FirstOrDefault(a => a.Attribute == attribute && a.Features == features)?.Accuracy
        ?? throw new KeyNotFoundException($"no head for '{attribute}' on '{features}'; have: {string.Join(", ", HeldOutAccuracy.Select(a => $"{a.Attribute} on {a.Features}"))}.");
}

/// <summary>Names of the features that pretraining heads read.</summary>
public static class TowerFeatures
{
    /// <summary>The encoder's <c>last_hidden_state</c>, after the final norm: what <see cref="Multimodal.AudioPart"/> hands on.</summary>
    public const string LastHiddenState = "last_hidden_state";

    /// <summary>hidden_states[-1]: the last layer's output before the post-norm (recipe <c>feature_layer: -1</c>).</summary>
    public const string LastLayer = "layer -1";

    /// <summary>hidden_states[-2]: the second-to-last layer's output, LLaVA's and the recipes' default <c>feature_layer</c>.</summary>
    public const string Penultimate = "layer -2";
}
