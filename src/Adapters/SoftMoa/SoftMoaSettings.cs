using MMAdapt.Adapters.Common;

namespace MMAdapt.Adapters.SoftMoa;

/// <summary>
/// What a <see cref="SoftMixtureOfAdapters"/> is built with, apart from its token width, dtype and device (those of the
/// site it sits in); saved in <c>mmadapt_config.json</c> as the settings of kind <c>soft_moa</c>.
/// </summary>
/// <param name="Experts">Number of adapters <c>n</c> (positive).</param>
/// <param name="Slots">Slots per adapter <c>p</c> (positive).</param>
/// <param name="Bottleneck">Each adapter's middle width (positive).</param>
/// <param name="Activation">The adapters' nonlinearity.</param>
/// <param name="Scaling">Factor on the adapters' outputs.</param>
/// <param name="Normalize">L2-normalise tokens and <c>Φ</c> along <c>d</c>, with a learned scale.</param>
/// <param name="Parallel">True: reads the block's input; false: its output.</param>
public sealed record SoftMoaSettings(long Experts, long Slots, long Bottleneck, AdapterActivation Activation, double Scaling,
    bool Normalize, bool Parallel);
