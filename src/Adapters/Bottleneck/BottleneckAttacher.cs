using MMAdapt.Adapters.Sublayers;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Bottleneck;

/// <summary>Attaches <see cref="BottleneckAdapter"/>s to a component's sublayer sites as <see cref="BottleneckOptions"/> say.</summary>
public static class BottleneckAttacher
{
    /// <summary>
    /// Validates the options, then attaches one adapter to every selected sublayer site: Houlsby → after each attention
    /// and MLP block, Pfeiffer → after each MLP block, parallel → beside the blocks named by <c>sublayers</c>.
    /// </summary>
    /// <param name="root">The component root (its <see cref="Core.Modules.SublayerAdapterSite"/>s are found by name).</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <param name="options">What to attach.</param>
    /// <param name="name">The adapter's name on each site.</param>
    /// <param name="seed">Seed of <c>W_down</c>'s initialisation (sites are initialised in name order).</param>
    /// <returns>The adapters by site name (sorted).</returns>
    /// <exception cref="InvalidDataException">Bad options (the message names the key).</exception>
    /// <exception cref="ArgumentException">No site matches, or a site refuses the adapter; nothing stays attached.</exception>
    public static IReadOnlyDictionary<string, BottleneckAdapter> Attach(nn.Module root, string component, BottleneckOptions options,
        string name = "default", long seed = 0)
    {
        options.Validate(component);
        var placement = options.ResolvedPlacement(component);
        var settings = options.Settings(component);
        return SublayerSites.Attach(root, component, placement.Kinds, options.Layers, name, seed, (t, generator) =>
            new BottleneckAdapter(t.Hidden, settings, t.Dtype, t.Device, generator));
    }
}
