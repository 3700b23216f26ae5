using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Sublayers;

/// <summary>Finds the sublayer adapter sites of a component and attaches one adapter to each, all or none.</summary>
public static class SublayerSites
{
    /// <summary>Every site of the given kinds (in the given layers), in module order.</summary>
    /// <param name="root">The component root (an LLM, a vision or audio tower).</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <param name="kinds">Attention and/or MLP.</param>
    /// <param name="layers">Layer indices to keep; null: all.</param>
    /// <remarks>A site's width is the input width most projections of its layer share (q, k, v, gate, up all read the
    /// residual stream), and its dtype and device are theirs.</remarks>
    /// <exception cref="ArgumentException">No site matches, a requested layer has none, or a layer's width cannot be told.</exception>
    public static IReadOnlyList<SublayerTarget> Find(nn.Module root, string component, IReadOnlyList<SublayerKind> kinds, IReadOnlyList<int>? layers)
    {
        var modules = root.named_modules().ToList();
        var sites = modules.Where(m => m.module is SublayerAdapterSite).Select(m => (m.name, Site: (SublayerAdapterSite)m.module)).ToList();
        if (sites.Count == 0)
            throw new ArgumentException($"{component}: the component has no sublayer adapter sites (its layers are not MMAdapt transformer layers).");
        var chosen = new List<SublayerTarget>();
        foreach (var (name, site) in sites)
        {
            int? layer = TargetResolver.LayerIndex(name);
            if (!kinds.Contains(site.Kind) || (layers is not null && (layer is null || !layers.Contains(layer.Value))))
                continue;
            chosen.Add(TargetOf(modules, name, site, component));
        }
        var present = sites.Select(s => TargetResolver.LayerIndex(s.name)).OfType<int>().Distinct().Order().ToList();
        var missing = layers?.Where(l => !present.Contains(l)).ToList() ?? [];
        if (missing.Count > 0)
            throw new ArgumentException($"{component}: layers [{string.Join(", ", missing)}] do not exist; the component has layers " +
                                        (present.Count == 0 ? "none" : $"{present[0]}..{present[^1]}") + ".");
        if (chosen.Count == 0)
            throw new ArgumentException($"{component}: no {string.Join("/", kinds)} site was selected; sites that exist: {sites.Count} (e.g. {sites[0].name}).");
        return chosen;
    }

    /// <summary>
    /// Attaches one new adapter to every site that <see cref="Find"/> selects, created in site-name order from one seeded
    /// generator. All or nothing: when any site refuses its adapter, the ones already attached are removed and disposed,
    /// and the error, prefixed with the component and the site, is rethrown.
    /// </summary>
    /// <param name="root">The component root.</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <param name="kinds">Attention and/or MLP.</param>
    /// <param name="layers">Layer indices to keep; null: all.</param>
    /// <param name="adapterName">The adapter's name on each site.</param>
    /// <param name="seed">Seed of the generator handed to <paramref name="create"/>.</param>
    /// <param name="create">Builds the adapter for one site.</param>
    /// <returns>The adapters by site name (sorted).</returns>
    /// <exception cref="ArgumentException">No site matches, or a site refuses the adapter (name taken, token mixing in a
    /// causal decoder).</exception>
    public static IReadOnlyDictionary<string, T> Attach<T>(nn.Module root, string component, IReadOnlyList<SublayerKind> kinds,
        IReadOnlyList<int>? layers, string adapterName, long seed, Func<SublayerTarget, Generator, T> create) where T : SublayerAdapter
    {
        var targets = Find(root, component, kinds, layers).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        using var generator = new Generator((ulong)seed);
        var attached = new List<(SublayerTarget Target, T Adapter)>();
        try
        {
            foreach (var target in targets)
            {
                var adapter = create(target, generator);
                try
                {
                    target.Site.Add(adapterName, adapter);
                }
                catch (ArgumentException e)
                {
                    adapter.Dispose();
                    throw new ArgumentException($"{component}: {target.Name}: {e.Message}", e);
                }
                attached.Add((target, adapter));
            }
        }
        catch
        {
            foreach (var (target, adapter) in attached)
            {
                target.Site.Remove(adapterName);
                adapter.Dispose();
            }
            throw;
        }
        return new SortedDictionary<string, T>(attached.ToDictionary(a => a.Target.Name, a => a.Adapter), StringComparer.Ordinal);
    }

    /// <summary>The site called <paramref name="siteName"/>, sized as <see cref="Find"/> sizes sites (for rebuilding a saved
    /// adapter there).</summary>
    /// <param name="root">The component root.</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <param name="siteName">The site's module name, e.g. <c>model.layers.0.mlp_site</c>.</param>
    /// <exception cref="ArgumentException">No sublayer site has that name, or its layer's width cannot be told.</exception>
    public static SublayerTarget Target(nn.Module root, string component, string siteName)
    {
        var modules = root.named_modules().ToList();
        var site = modules.FirstOrDefault(m => m.name == siteName).module as SublayerAdapterSite
            ?? throw new ArgumentException($"{component}: '{siteName}' is not a sublayer adapter site.");
        return TargetOf(modules, siteName, site, component);
    }

    private static SublayerTarget TargetOf(List<(string name, nn.Module module)> modules, string siteName, SublayerAdapterSite site, string component)
    {
        var (hidden, weight) = LayerWidth(modules, siteName, component);
        return new SublayerTarget(siteName, site, TargetResolver.LayerIndex(siteName), hidden, AdapterAttacher.AdapterDtype(weight, null), weight.device);
    }

    private static (long Hidden, Tensor Weight) LayerWidth(List<(string name, nn.Module module)> modules, string siteName, string component)
    {
        int dot = siteName.LastIndexOf('.');
        var prefix = dot < 0 ? "" : siteName[..(dot + 1)];
        var projections = modules.Where(m => m.name.StartsWith(prefix, StringComparison.Ordinal) && m.module is AdaptableLinear)
                                 .Select(m => (AdaptableLinear)m.module).ToList();
        if (projections.Count == 0)
            throw new ArgumentException($"{component}: cannot tell the hidden width at {siteName}: its layer has no adaptable projections.");
        var widest = projections.GroupBy(p => p.InFeatures).OrderByDescending(g => g.Count()).First();
        return (widest.Key, widest.First().Weight);
    }
}
