using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Pill;

/// <summary>
/// What a <see cref="ModalityAttentionGate"/> (MAG) is built with, apart from its input width, dtype and device (those of
/// the value projection it sits on); saved in <c>mmadapt_config.json</c> as the settings of kind <c>mag</c>, beside the
/// gate's current <see cref="ModalityAttentionGate.Enabled"/>. Equal when every value and the modalities, in order, are.
/// </summary>
/// <param name="Heads">Key/value heads of the attention block (positive; must divide the value width).</param>
/// <param name="Modalities">The modalities whose values are gated.</param>
/// <param name="Residual">Multiply by <c>1 + g</c> (identity at first) instead of <c>g</c> (silent at first).</param>
public sealed record MagSettings(long Heads, IReadOnlyList<Modality> Modalities, bool Residual)
{
    /// <summary>Value equality, the modalities compared in order.</summary>
    public bool Equals(MagSettings? other) =>
        other is not null && Heads == other.Heads && Residual == other.Residual && Modalities.SequenceEqual(other.Modalities);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Heads, Residual, Modalities.Count);
}
