using static TorchSharp.torch;

namespace MMAdapt.Core.Modules;

/// <summary>
/// The named adapters attached to one projection, registered as submodules so that their parameters
/// appear in <c>state_dict()</c> as <c>&lt;projection&gt;.adapters.&lt;name&gt;.&lt;param&gt;</c>.
/// </summary>
/// <remarks>TorchSharp's <c>ModuleDict</c> does not register items added after construction, hence this.</remarks>
public sealed class AdapterSet : nn.Module
{
    private readonly List<(string Name, ProjectionAdapter Adapter)> items = [];
    private readonly List<string> merged = [];      // in merge order

    private readonly HostReference host = new();

    /// <summary>Creates an empty set for the layer <paramref name="host"/>.</summary>
    public AdapterSet(IAdapterHost host) : base(nameof(AdapterSet)) => this.host.Value = host;

    /// <summary>The adapters in attachment order.</summary>
    public IReadOnlyList<(string Name, ProjectionAdapter Adapter)> Items => items;

    /// <summary>The number of adapters.</summary>
    public int Count => items.Count;

    /// <summary>True when an adapter of that name is attached.</summary>
    public bool Contains(string name) => items.Exists(i => i.Name == name);

    /// <summary>The adapter of that name.</summary>
    /// <exception cref="KeyNotFoundException">No such adapter; the message lists the attached ones.</exception>
    public ProjectionAdapter this[string name] =>
        items.Find(i => i.Name == name).Adapter
        ?? throw new KeyNotFoundException($"No adapter '{name}' is attached (attached: {Describe()}).");

    /// <summary>Attaches an adapter under a new name.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is taken.</exception>
    public void Add(string name, ProjectionAdapter adapter)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('.'))
            throw new ArgumentException($"Adapter name '{name}' must be non-empty and contain no '.'.", nameof(name));
        if (Contains(name))
            throw new ArgumentException($"An adapter named '{name}' is already attached.", nameof(name));
        adapter.AttachTo(host.Value!);
        items.Add((name, adapter));
        register_module(name, adapter);
    }

    /// <summary>Detaches and returns the adapter of that name (the caller owns it afterwards).</summary>
    /// <exception cref="InvalidOperationException">The adapter is merged; unmerge it first.</exception>
    public ProjectionAdapter Remove(string name)
    {
        var adapter = this[name];
        if (merged.Contains(name))
            throw new InvalidOperationException($"Adapter '{name}' is merged into the base weight; unmerge it before removing it.");
        items.RemoveAll(i => i.Name == name);
        _internal_submodules.Remove(name);
        return adapter;
    }

    /// <summary>Names of the adapters currently folded into the base weight, in the order they were merged.</summary>
    public IReadOnlyList<string> Merged => merged;

    /// <summary>Runs every unmerged adapter over <paramref name="output"/> in attachment order.</summary>
    public Tensor Apply(Tensor input, Tensor output, ForwardContext? context)
    {
        foreach (var (name, adapter) in items)
            if (!merged.Contains(name))
                output = adapter.Apply(input, output, context);
        return output;
    }

    /// <summary>Folds the named adapter's weight delta into <paramref name="weight"/> (no-op when already merged).</summary>
    /// <exception cref="NotSupportedException">The adapter cannot be merged.</exception>
    public void Merge(string name, Tensor weight)
    {
        var adapter = this[name];
        if (!adapter.CanMerge)
            throw new NotSupportedException($"Adapter '{name}' ({adapter.GetName()}) cannot be merged.");
        if (merged.Contains(name))
            return;
        using var _ = no_grad();
        adapter.MergeInto(weight);
        merged.Add(name);
    }

    /// <summary>Takes a merged adapter out of <paramref name="weight"/> again (exact up to rounding; no-op when not merged).</summary>
    /// <remarks>Merges need not commute (DoRA rescales rows, IA3 multiplies), so adapters merged after this one are
    /// unmerged first, newest first, and merged again afterwards in their order.</remarks>
    public void Unmerge(string name, Tensor weight)
    {
        int at = merged.IndexOf(name);
        if (at < 0)
            return;
        using var _ = no_grad();
        var later = merged.Skip(at + 1).ToList();
        for (int i = merged.Count - 1; i >= at; i--)
        {
            this[merged[i]].UnmergeFrom(weight);
            merged.RemoveAt(i);
        }
        foreach (var again in later)
        {
            this[again].MergeInto(weight);
            merged.Add(again);
        }
    }

    private string Describe() => items.Count == 0 ? "none" : string.Join(", ", items.Select(i => i.Name));
}
