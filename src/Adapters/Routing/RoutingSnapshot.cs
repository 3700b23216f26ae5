namespace MMAdapt.Adapters.Routing;

/// <summary>Routing statistics of every recorded layer, on the host (from <see cref="RoutingStatistics.Snapshot"/>).</summary>
/// <param name="Layers">Per layer name, in the order the layers were first recorded.</param>
public sealed record RoutingSnapshot(IReadOnlyList<LayerRoutingStats> Layers)
{
    /// <summary>The statistics of one layer.</summary>
    /// <exception cref="KeyNotFoundException">Naming the layer and the recorded ones.</exception>
    public LayerRoutingStats this[string layer] => Layers.FirstOrDefault(l => l.Layer == layer)
        ?? throw new KeyNotFoundException($"no routing statistics for layer '{layer}'; recorded: {string.Join(", ", Layers.Select(l => l.Layer))}.");
}
