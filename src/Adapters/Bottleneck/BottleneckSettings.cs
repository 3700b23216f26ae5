using MMAdapt.Adapters.Common;

namespace MMAdapt.Adapters.Bottleneck;

/// <summary>
/// What a <see cref="BottleneckAdapter"/> is built with, apart from its width, dtype and device (those of the site it
/// sits in); saved in <c>mmadapt_config.json</c> as the settings of kind <c>bottleneck_adapter</c>.
/// </summary>
/// <param name="Bottleneck">The middle width (positive).</param>
/// <param name="Activation">The middle nonlinearity.</param>
/// <param name="Scaling">The factor <c>s</c> on the adapter's output.</param>
/// <param name="Parallel">True: reads the block's input (He et al., 2022); false: its output (Houlsby, Pfeiffer).</param>
public sealed record BottleneckSettings(long Bottleneck, AdapterActivation Activation, double Scaling, bool Parallel);
