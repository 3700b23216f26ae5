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

    /// <summary>Creates an empty set.</summary>
    public AdapterSet() : base(nameof(AdapterSet)) { }

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
        items.Add((name, adapter));
        register_module(name, adapter);
    }

    /// <summary>Detaches and returns the adapter of that name (the caller owns it afterwards).</summary>
    public ProjectionAdapter Remove(string name)
    {
        var adapter = this[name];
        items.RemoveAll(i => i.Name == name);
        _internal_submodules.Remove(name);
        return adapter;
    }

    private string Describe() => items.Count == 0 ? "none" : string.Join(", ", items.Select(i => i.Name));
}
