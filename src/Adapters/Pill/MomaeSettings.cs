using MMAdapt.Adapters.Common;
using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Pill;

/// <summary>
/// What a <see cref="ModalityAdapterExperts"/> (MoMAE) is built with, apart from its token width, dtype and device (those
/// of the site it sits in); saved in <c>mmadapt_config.json</c> as the settings of kind <c>momae</c>. Equal when every
/// value and the modalities, in order, are.
/// </summary>
/// <param name="Bottleneck">Each expert's middle width (positive).</param>
/// <param name="Modalities">The modalities that get an expert (distinct), in expert order.</param>
/// <param name="GateActivation">The experts' gate nonlinearity (SiLU in PILL).</param>
public sealed record MomaeSettings(long Bottleneck, IReadOnlyList<Modality> Modalities, AdapterActivation GateActivation)
{
    /// <summary>Value equality, the modalities compared in order.</summary>
    public bool Equals(MomaeSettings? other) =>
        other is not null && Bottleneck == other.Bottleneck && GateActivation == other.GateActivation && Modalities.SequenceEqual(other.Modalities);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Bottleneck, GateActivation, Modalities.Count);
}
