using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Sublayers;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Pill;

/// <summary>
/// Attaches PILL's two pieces ("PILL: Plug Into LLM with Adapter Expert and Attention Gate", 2023): modality adapter
/// experts (MoMAE) at the input of the chosen blocks, and modality-attention gates (MAG) on the value projections.
/// </summary>
public static class PillAttacher
{
    /// <summary>Validates the options, then attaches one <see cref="ModalityAdapterExperts"/> to every selected site.</summary>
    /// <param name="root">The component root (the LLM, usually).</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <param name="options">What to attach.</param>
    /// <param name="name">The adapter's name on each site.</param>
    /// <param name="seed">Seed of the initialisation (sites are initialised in name order).</param>
    /// <returns>The mixtures by site name (sorted).</returns>
    /// <exception cref="InvalidDataException">Bad options (the message names the key).</exception>
    /// <exception cref="ArgumentException">No site matches, or a site refuses the adapter; nothing stays attached.</exception>
    public static IReadOnlyDictionary<string, ModalityAdapterExperts> AttachExperts(nn.Module root, string component, MomaeOptions options,
        string name = "default", long seed = 0)
    {
        options.Validate(component);
        var settings = options.Settings(component);
        var kinds = SublayerPlacements.ParseSublayers(options.Sublayers, component);
        return SublayerSites.Attach(root, component, kinds, options.Layers, name, seed, (t, generator) =>
            new ModalityAdapterExperts(t.Hidden, settings, t.Dtype, t.Device, generator));
    }

    /// <summary>Validates the options, then attaches one <see cref="ModalityAttentionGate"/> to every selected value projection.</summary>
    /// <param name="root">The component root.</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <param name="options">What to attach.</param>
    /// <param name="name">The adapter's name on each projection.</param>
    /// <returns>The gates by projection name (sorted).</returns>
    /// <exception cref="InvalidDataException">Bad options (the message names the key).</exception>
    /// <exception cref="ArgumentException">No value projection matches, a requested layer has none, or a projection refuses
    /// the gate (heads not dividing its width: the message names both); nothing stays attached.</exception>
    public static IReadOnlyDictionary<string, ModalityAttentionGate> AttachGates(nn.Module root, string component, MagOptions options,
        string name = "default")
    {
        options.Validate(component);
        var settings = options.Settings(component);
        var all = TargetResolver.Adaptable(root);
        var targets = all.Where(p => p.Host is AdaptableLinear && options.TargetModules.Contains(p.Name.Split('.')[^1]))
                         .Select(p => (p.Name, Linear: (AdaptableLinear)p.Host, Layer: TargetResolver.LayerIndex(p.Name)))
                         .OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        if (targets.Count == 0)
            throw new ArgumentException($"{component}: no value projection named {string.Join(" or ", options.TargetModules)}; " +
                                        $"projections that exist: {string.Join(", ", all.Select(p => p.Name.Split('.')[^1]).Distinct().Order(StringComparer.Ordinal))}.");
        if (options.Layers is { } layers)
        {
            var missing = layers.Where(l => !targets.Any(t => t.Layer == l)).ToList();
            if (missing.Count > 0)
                throw new ArgumentException($"{component}: layers [{string.Join(", ", missing)}] have no value projection.");
            targets = targets.Where(t => t.Layer is { } l && layers.Contains(l)).ToList();
        }
        var attached = new SortedDictionary<string, ModalityAttentionGate>(StringComparer.Ordinal);
        try
        {
            foreach (var (projection, linear, _) in targets)
            {
                var gate = new ModalityAttentionGate(linear.InFeatures, settings, AdapterAttacher.AdapterDtype(linear.Weight, null), linear.Weight.device)
                {
                    Enabled = options.Enabled,
                };
                try
                {
                    linear.Adapters.Add(name, gate);
                }
                catch (ArgumentException e)
                {
                    gate.Dispose();
                    throw new ArgumentException($"{component}: {projection}: {e.Message}", e);
                }
                attached[projection] = gate;
            }
        }
        catch
        {
            foreach (var (projection, gate) in attached)
            {
                targets.First(t => t.Name == projection).Linear.Adapters.Remove(name);
                gate.Dispose();
            }
            throw;
        }
        return attached;
    }

    /// <summary>Switches every modality-attention gate under <paramref name="root"/> on or off (off: values pass
    /// unchanged, for alignment stages); returns how many gates there are.</summary>
    public static int SetGatesEnabled(nn.Module root, bool enabled)
    {
        int count = 0;
        foreach (var gate in root.modules().OfType<ModalityAttentionGate>())
        {
            gate.Enabled = enabled;
            count++;
        }
        return count;
    }
}
