using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters;

/// <summary>Model-wide adapter switches: a scope where the base model runs alone, and merging everything.</summary>
public static class AdapterScopes
{
    /// <summary>
    /// Until disposed, every adaptable projection under <paramref name="root"/> runs without its adapters (PEFT's
    /// <c>disable_adapter()</c> context). Merged adapters are unmerged for the scope and merged back after it.
    /// Scopes nest: an inner scope's end leaves the outer one in force.
    /// </summary>
    public static IDisposable Disable(nn.Module root) => new DisabledScope(Projections(root).ToList());

    /// <summary>
    /// Folds every mergeable adapter into its base weight and returns the adapters that were left unmerged, each as
    /// <c>"&lt;module&gt;.&lt;adapter&gt; (&lt;type&gt;): &lt;why&gt;"</c>. Two kinds stay unmerged: adapters whose effect is
    /// not a change of weights (a router's mixture, a gate), and adapters on a weight that another projection shares
    /// (tied embeddings and LM head), since folding them in would change both layers.
    /// </summary>
    public static IReadOnlyList<string> MergeAll(nn.Module root)
    {
        var blocked = FindUnmergeable(root);
        foreach (var (_, host, adapters) in Projections(root))
            foreach (var (adapterName, _) in adapters.Items)
                if (!blocked.Any(b => ReferenceEquals(b.Host, host) && b.Name == adapterName))
                    host.Adapters.Merge(adapterName, host.Weight);
        return blocked.Select(b => b.Description).ToList();
    }

    /// <summary>The adapters under <paramref name="root"/> that <see cref="MergeAll"/> would leave unmerged (see there),
    /// in module order; nothing is changed.</summary>
    public static IReadOnlyList<UnmergeableAdapter> FindUnmergeable(nn.Module root)
    {
        var projections = Projections(root).ToList();
        var blocked = new List<UnmergeableAdapter>();
        foreach (var (name, host, _) in projections)
            foreach (var (adapterName, adapter) in host.Adapters.Items)
            {
                if (host.Adapters.Merged.Contains(adapterName))
                    continue;
                var twin = projections.FirstOrDefault(p => p.Host != host && ReferenceEquals(p.Host.Weight, host.Weight)).Name;
                if (!adapter.CanMerge || twin is not null)
                    blocked.Add(new UnmergeableAdapter(name, adapterName, host, adapter, adapter.CanMerge ? twin : null));
            }
        return blocked;
    }

    /// <summary>Every adaptable projection (linear or embedding) under <paramref name="root"/>, by full name.</summary>
    public static IEnumerable<(string Name, IAdapterHost Host, AdapterSet Adapters)> Projections(nn.Module root)
    {
        foreach (var (name, module) in root.named_modules())
            if (module is IAdapterHost host)
                yield return (name, host, host.Adapters);
    }

    private sealed class DisabledScope : IDisposable
    {
        private readonly List<(IAdapterHost Host, bool Enabled, List<string> Merged)> previous = [];

        public DisabledScope(List<(string Name, IAdapterHost Host, AdapterSet Adapters)> projections)
        {
            foreach (var (_, host, _) in projections)
            {
                var merged = host.Adapters.Merged.ToList();
                for (int i = merged.Count - 1; i >= 0; i--)
                    host.Adapters.Unmerge(merged[i], host.Weight);     // newest first: merges need not commute
                previous.Add((host, host.AdaptersEnabled, merged));
                host.AdaptersEnabled = false;
            }
        }

        public void Dispose()
        {
            foreach (var (host, enabled, merged) in previous)
            {
                host.AdaptersEnabled = enabled;
                foreach (var name in merged)
                    host.Adapters.Merge(name, host.Weight);            // again in their order
            }
            previous.Clear();
        }
    }
}
