using MMAdapt.Adapters.Routing;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Mixtures;

/// <summary>Attaches a <see cref="LoraMixture"/> to each selected projection of a component.</summary>
public static class MixtureAttacher
{
    /// <summary>Attaches mixtures and returns them by module name (sorted).</summary>
    /// <param name="root">The component root.</param>
    /// <param name="component">The component name, for messages and aux-loss names.</param>
    /// <param name="targets">Where (PEFT-style selection).</param>
    /// <param name="options">The mixture settings.</param>
    /// <param name="adapterName">The adapter's name on each projection.</param>
    /// <param name="seed">Initialisation seed (modules initialised in name order).</param>
    /// <param name="expertsPerLayerGroup">MoLA (Gao et al., 2024): expert counts for equal, consecutive groups of layers,
    /// e.g. [2, 4, 6, 8] over 32 layers gives layers 0–7 two experts, 8–15 four, ...; null: every layer gets
    /// <see cref="MixtureOptions.Experts"/>.</param>
    /// <param name="statistics">Where the mixtures record routing statistics, or null.</param>
    /// <param name="dtype">Adapter dtype; null: each host weight's dtype.</param>
    /// <exception cref="ArgumentException">Bad options, a target that matches nothing, or layer groups that do not
    /// divide the layers.</exception>
    public static IReadOnlyDictionary<string, LoraMixture> Attach(nn.Module root, string component, TargetSelection targets,
        MixtureOptions options, string adapterName = "moe", long seed = 0, IReadOnlyList<int>? expertsPerLayerGroup = null,
        RoutingStatistics? statistics = null, ScalarType? dtype = null)
    {
        options.Validate();
        var resolved = TargetResolver.Resolve(root, component, targets).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var expertsOf = ExpertsPerLayer(resolved, expertsPerLayerGroup, options, component);
        using var generator = new Generator((ulong)seed);
        var attached = new SortedDictionary<string, LoraMixture>(StringComparer.Ordinal);
        foreach (var target in resolved)
        {
            if (target.Host is not AdaptableLinear linear)
                throw new ArgumentException($"{component}: '{target.Name}' is an embedding; mixtures attach to linear projections.");
            var layerOptions = expertsOf(target.Layer);
            var mixture = new LoraMixture(linear.InFeatures, linear.OutFeatures, layerOptions, AdapterAttacher.AdapterDtype(linear.Weight, dtype), linear.Weight.device, generator)
            {
                LayerName = $"{component}.{target.Name}",
                Statistics = statistics,
            };
            linear.Adapters.Add(adapterName, mixture);
            attached[target.Name] = mixture;
        }
        return attached;
    }

    private static Func<int?, MixtureOptions> ExpertsPerLayer(IReadOnlyList<ResolvedTarget> targets, IReadOnlyList<int>? groups,
        MixtureOptions options, string component)
    {
        if (groups is null)
            return _ => options;
        if (groups.Count == 0 || groups.Any(g => g <= 0))
            throw new ArgumentException($"{component}: experts per layer group must be positive counts, got [{string.Join(", ", groups)}].");
        if (options.ModalityGroups is not null)
            throw new ArgumentException($"{component}: per-layer expert counts (MoLA) cannot be combined with modality groups.");
        var layers = targets.Select(t => t.Layer).ToList();
        if (layers.Any(l => l is null))
            throw new ArgumentException($"{component}: per-layer expert counts need targets inside numbered layers; " +
                                        $"'{targets.First(t => t.Layer is null).Name}' has no layer index.");
        int layerCount = layers.Max()!.Value + 1;
        if (layerCount % groups.Count != 0)
            throw new ArgumentException($"{component}: {layerCount} layers cannot be split into {groups.Count} equal groups for [{string.Join(", ", groups)}] experts.");
        int perGroup = layerCount / groups.Count;
        var byCount = groups.Distinct().ToDictionary(g => g, g =>
        {
            var o = options with { Experts = g };
            o.Validate();
            return o;
        });
        return layer => byCount[groups[layer!.Value / perGroup]];
    }
}
