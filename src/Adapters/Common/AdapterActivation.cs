using static TorchSharp.torch;

namespace MMAdapt.Adapters.Common;

/// <summary>The nonlinearity inside an adapter: a bottleneck's middle, or a gated unit's gate.</summary>
public enum AdapterActivation
{
    /// <summary><c>max(0, x)</c> (He et al., 2022 use it in parallel adapters).</summary>
    Relu,
    /// <summary>Exact (erf) GELU, as <c>torch.nn.GELU()</c> (PETL_AST's adapters).</summary>
    Gelu,
    /// <summary><c>x·σ(x)</c> (PILL's gated adapter gate).</summary>
    Silu,
    /// <summary><c>σ(x)</c> (the classic GLU gate).</summary>
    Sigmoid,
}

/// <summary>The table of <see cref="AdapterActivation"/>s by option name, and their functions.</summary>
public static class AdapterActivations
{
    private static readonly OptionTable<AdapterActivation> Table = new("activation",
        ("relu", AdapterActivation.Relu), ("gelu", AdapterActivation.Gelu), ("silu", AdapterActivation.Silu), ("sigmoid", AdapterActivation.Sigmoid));

    /// <summary>The names options accept, in table order.</summary>
    public static IReadOnlyList<string> Names => Table.Names;

    /// <summary>The option name of an activation (<c>gelu</c>).</summary>
    public static string NameOf(AdapterActivation activation) => Table.NameOf(activation);

    /// <summary>Resolves an option value (case-insensitive).</summary>
    /// <param name="name">The option value, e.g. <c>gelu</c>.</param>
    /// <param name="source">What the value came from (recipe key), for the message.</param>
    /// <exception cref="InvalidDataException">The name is not in the table; the message lists the supported names.</exception>
    public static AdapterActivation Parse(string? name, string source) => Table.Parse(name, source);

    /// <summary>Applies the activation element-wise.</summary>
    public static Tensor Apply(AdapterActivation activation, Tensor x) => activation switch
    {
        AdapterActivation.Relu => nn.functional.relu(x),
        AdapterActivation.Gelu => nn.functional.gelu(x),
        AdapterActivation.Silu => nn.functional.silu(x),
        AdapterActivation.Sigmoid => nn.functional.sigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown adapter activation."),
    };
}
