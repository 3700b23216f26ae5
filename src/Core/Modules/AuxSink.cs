using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Core.Modules;

/// <summary>
/// Collects what routers and gates report during one forward pass: auxiliary losses (added to the
/// training loss with their coefficients already applied) and routing statistics (logged, never
/// back-propagated). Names are free-form, e.g. <c>model.layers.3.mlp.router/load_balance</c>.
/// </summary>
/// <remarks>Routers add to the sink from deep inside nested dispose scopes (one per layer and block), which would
/// free the tensors as the forward pass unwinds; so the sink takes them out of every scope and owns them until
/// <see cref="Clear"/> or <see cref="Dispose"/> (call it after the backward pass; the autograd graph keeps what
/// backward needs either way).</remarks>
public sealed class AuxSink : IDisposable
{
    private readonly List<(string Name, Tensor Value)> losses = [];
    private readonly List<(string Name, Tensor Value)> statistics = [];

    /// <summary>Auxiliary losses in the order they were added (scalars, already weighted).</summary>
    public IReadOnlyList<(string Name, Tensor Value)> Losses => losses;

    /// <summary>Routing statistics in the order they were added (detached tensors).</summary>
    public IReadOnlyList<(string Name, Tensor Value)> Statistics => statistics;

    /// <summary>Adds a weighted auxiliary loss (a scalar tensor that carries gradients); the sink owns it.</summary>
    public void AddLoss(string name, Tensor value) => losses.Add((name, value.DetachFromDisposeScope()));

    /// <summary>Adds a routing statistic, detached from the graph; the sink owns it.</summary>
    public void AddStatistic(string name, Tensor value) => statistics.Add((name, value.detach().DetachFromDisposeScope()));

    /// <summary>The sum of all auxiliary losses, or null when there are none.</summary>
    public Tensor? TotalLoss()
    {
        if (losses.Count == 0)
            return null;
        var total = losses[0].Value;
        for (int i = 1; i < losses.Count; i++)
            total = total + losses[i].Value;
        return total;
    }

    /// <summary>Frees and forgets everything collected so far.</summary>
    public void Clear()
    {
        foreach (var (_, value) in losses)
            value.Dispose();
        foreach (var (_, value) in statistics)
            value.Dispose();
        losses.Clear();
        statistics.Clear();
    }

    /// <summary>Frees what the sink holds.</summary>
    public void Dispose() => Clear();
}
