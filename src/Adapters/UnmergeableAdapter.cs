using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters;

/// <summary>An adapter that cannot be folded into its layer's weights (<see cref="AdapterScopes.FindUnmergeable"/>).</summary>
/// <param name="Module">The adapted projection's full name (<c>model.layers.0.self_attn.q_proj</c>).</param>
/// <param name="Name">The adapter's name on that projection.</param>
/// <param name="Host">The adapted projection.</param>
/// <param name="Adapter">The adapter.</param>
/// <param name="TiedWith">The projection sharing the weight, when that is the obstacle; null when the adapter's effect
/// itself is not a weight change.</param>
public sealed record UnmergeableAdapter(string Module, string Name, IAdapterHost Host, ProjectionAdapter Adapter, string? TiedWith)
{
    /// <summary><c>"&lt;module&gt;.&lt;adapter&gt; (&lt;type&gt;): &lt;why&gt;"</c>.</summary>
    public string Description => $"{Module}.{Name} ({Adapter.GetName()}): " + (TiedWith is null
        ? "its effect is not a change of the layer's weights, so it cannot be folded in"
        : $"its weight is shared with '{TiedWith}' (tied weights), so folding it in would change that layer too");
}
