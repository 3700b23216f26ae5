using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Sublayers;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.SoftMoa;

/// <summary>Attaches soft or dense mixtures of adapters to a component's sublayer sites as <see cref="MoaOptions"/> say.</summary>
public static class MoaAttacher
{
    /// <summary>Validates the options, then attaches one mixture to every selected sublayer site.</summary>
    /// <param name="root">The component root.</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <param name="options">What to attach.</param>
    /// <param name="name">The adapter's name on each site.</param>
    /// <param name="seed">Seed of the initialisation (sites are initialised in name order).</param>
    /// <returns>The mixtures by site name (sorted): <see cref="SoftMixtureOfAdapters"/> or <see cref="DenseMixtureOfAdapters"/>.</returns>
    /// <exception cref="InvalidDataException">Bad options (the message names the key).</exception>
    /// <exception cref="ArgumentException">No site matches, or a site refuses the mixture (soft mixing in a causal decoder:
    /// "... mixes tokens across the sequence, so it cannot sit in a causal decoder ..."); nothing stays attached.</exception>
    public static IReadOnlyDictionary<string, ResidualSublayerAdapter> Attach(nn.Module root, string component, MoaOptions options,
        string name = "default", long seed = 0)
    {
        options.Validate(component);
        var placement = SublayerPlacements.Resolve(options.Placement, options.Sublayers, component);
        if (options.MixingKind(component) == MoaMixing.Soft)
        {
            var soft = options.SoftSettings(component);
            return SublayerSites.Attach<ResidualSublayerAdapter>(root, component, placement.Kinds, options.Layers, name, seed,
                (t, generator) => new SoftMixtureOfAdapters(t.Hidden, soft, t.Dtype, t.Device, generator));
        }
        var dense = options.DenseSettings(component);
        return SublayerSites.Attach<ResidualSublayerAdapter>(root, component, placement.Kinds, options.Layers, name, seed,
            (t, generator) => new DenseMixtureOfAdapters(t.Hidden, dense, t.Dtype, t.Device, generator));
    }
}
