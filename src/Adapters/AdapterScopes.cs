using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters;

/// <summary>Model-wide adapter switches: a scope where the base model runs alone, and merging everything.</summary>
public static class AdapterScopes
{
    /// <summary>
    /// Until disposed, every adaptable projection under <paramref name="root"/> runs without its adapters (PEFT's
    /// <c>disable_adapter()</c> context). Merged adapters are unmerged for the scope and merged back after it.
    /// </summary>
    public static IDisposable Disable(nn.Module root) => new DisabledScope(Projections(root).ToList());

    /// <summary>Folds every mergeable adapter into its base weight; returns the names that could not be merged.</summary>
    public static IReadOnlyList<string> MergeAll(nn.Module root)
    {
        var skipped = new List<string>();
        foreach (var (name, host, set) in Projections(root))
            foreach (var (adapterName, adapter) in set.Items)
            {
                if (!adapter.CanMerge)
                {
                    skipped.Add($"{name}.{adapterName} ({adapter.GetName()})");
                    continue;
                }
                set.Merge(adapterName, host.Weight);
            }
        return skipped;
    }

    /// <summary>Every adaptable projection with its adapter set.</summary>
    public static IEnumerable<(string Name, IAdapterHost Host, AdapterSet Adapters)> Projections(nn.Module root)
    {
        foreach (var (name, module) in root.named_modules())
        {
            if (module is AdaptableLinear linear)
                yield return (name, linear, linear.Adapters);
            else if (module is AdaptableEmbedding embedding)
                yield return (name, embedding, embedding.Adapters);
        }
    }

    private sealed class DisabledScope : IDisposable
    {
        private readonly List<(string Name, IAdapterHost Host, AdapterSet Adapters)> projections;
        private readonly List<(AdapterSet Set, IAdapterHost Host, string Adapter)> unmerged = [];
        private readonly List<(IAdapterHost Host, bool Enabled)> previous = [];

        public DisabledScope(List<(string Name, IAdapterHost Host, AdapterSet Adapters)> projections)
        {
            this.projections = projections;
            foreach (var (_, host, set) in projections)
            {
                foreach (var name in set.Merged.ToList())
                {
                    set.Unmerge(name, host.Weight);
                    unmerged.Add((set, host, name));
                }
                previous.Add((host, SetEnabled(host, false)));
            }
        }

        public void Dispose()
        {
            foreach (var (host, enabled) in previous)
                SetEnabled(host, enabled);
            foreach (var (set, host, name) in unmerged)
                set.Merge(name, host.Weight);
            projections.Clear();
        }

        private static bool SetEnabled(IAdapterHost host, bool value)
        {
            switch (host)
            {
                case AdaptableLinear l:
                    var was = l.AdaptersEnabled;
                    l.AdaptersEnabled = value;
                    return was;
                case AdaptableEmbedding e:
                    var before = e.AdaptersEnabled;
                    e.AdaptersEnabled = value;
                    return before;
                default:
                    return true;
            }
        }
    }
}
