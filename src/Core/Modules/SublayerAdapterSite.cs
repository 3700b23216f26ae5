using static TorchSharp.torch;

namespace MMAdapt.Core.Modules;

/// <summary>Which block of a transformer layer a <see cref="SublayerAdapterSite"/> wraps.</summary>
public enum SublayerKind
{
    /// <summary>The self-attention block.</summary>
    Attention,
    /// <summary>The feed-forward (MLP) block.</summary>
    Mlp,
}

/// <summary>
/// The place around one sublayer of a transformer layer where <see cref="SublayerAdapter"/>s attach; every layer of
/// every MMAdapt model has one for its attention and one for its MLP. Empty sites cost nothing and add no
/// checkpoint keys; attached adapters appear as <c>&lt;layer&gt;.attention_site.&lt;name&gt;.…</c>.
/// </summary>
public sealed class SublayerAdapterSite : nn.Module
{
    private readonly List<(string Name, SublayerAdapter Adapter)> items = [];

    /// <summary>Creates a site.</summary>
    /// <param name="kind">Attention or MLP.</param>
    /// <param name="causal">True inside a causal decoder (token-mixing adapters are refused there).</param>
    public SublayerAdapterSite(SublayerKind kind, bool causal) : base(nameof(SublayerAdapterSite))
    {
        Kind = kind;
        Causal = causal;
    }

    /// <summary>Attention or MLP.</summary>
    public SublayerKind Kind { get; }

    /// <summary>True inside a causal decoder.</summary>
    public bool Causal { get; }

    /// <summary>The adapters in attachment order.</summary>
    public IReadOnlyList<(string Name, SublayerAdapter Adapter)> Items => items;

    /// <summary>When false, the sublayer runs without its adapters.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Attaches an adapter.</summary>
    /// <exception cref="ArgumentException">Bad or duplicate name, or a token-mixing adapter in a causal decoder.</exception>
    public void Add(string name, SublayerAdapter adapter)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('.'))
            throw new ArgumentException($"Adapter name '{name}' must be non-empty and contain no '.'.", nameof(name));
        if (items.Exists(i => i.Name == name))
            throw new ArgumentException($"An adapter named '{name}' is already attached here.", nameof(name));
        if (Causal && adapter.MixesTokens)
            throw new ArgumentException($"{adapter.GetName()} mixes tokens across the sequence, so it cannot sit in a causal decoder " +
                                        "(later tokens would leak into earlier ones); attach it to a bidirectional encoder or a connector.");
        items.Add((name, adapter));
        register_module(name, adapter);
    }

    /// <summary>Detaches and returns an adapter.</summary>
    public SublayerAdapter Remove(string name)
    {
        var adapter = items.Find(i => i.Name == name).Adapter
            ?? throw new KeyNotFoundException($"No sublayer adapter '{name}' here (attached: {string.Join(", ", items.Select(i => i.Name))}).");
        items.RemoveAll(i => i.Name == name);
        _internal_submodules.Remove(name);
        return adapter;
    }

    /// <summary>Runs the adapters' input changes in order.</summary>
    public Tensor Before(Tensor input, ForwardContext? context)
    {
        if (!Enabled || items.Count == 0)
            return input;
        foreach (var (_, adapter) in items)
            input = adapter.BeforeSublayer(input, context);
        return input;
    }

    /// <summary>Runs the adapters' output changes in order.</summary>
    public Tensor After(Tensor input, Tensor output, ForwardContext? context)
    {
        if (!Enabled || items.Count == 0)
            return output;
        foreach (var (_, adapter) in items)
            output = adapter.AfterSublayer(input, output, context);
        return output;
    }
}
