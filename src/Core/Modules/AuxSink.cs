using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Core.Modules;

/// <summary>
/// Collects what routers and gates report during one forward pass: auxiliary losses (added to the
/// training loss with their coefficients already applied) and routing statistics (logged, never
/// back-propagated). Names are free-form, e.g. <c>model.layers.3.mlp.router/load_balance</c>.
/// </summary>
/// <remarks>The sink owns nothing: tensors live in the caller's dispose scope, so read the sink
/// before that scope ends.</remarks>
public sealed class AuxSink
{
    private readonly List<(string Name, Tensor Value)> losses = [];
    private readonly List<(string Name, Tensor Value)> statistics = [];

    /// <summary>Auxiliary losses in the order they were added (scalars, already weighted).</summary>
    public IReadOnlyList<(string Name, Tensor Value)> Losses => losses;

    /// <summary>Routing statistics in the order they were added (detached tensors).</summary>
    public IReadOnlyList<(string Name, Tensor Value)> Statistics => statistics;

    /// <summary>Adds a weighted auxiliary loss (a scalar tensor that carries gradients).</summary>
    public void AddLoss(string name, Tensor value) => losses.Add((name, value));

    /// <summary>Adds a routing statistic; it is detached so it never joins the graph.</summary>
    public void AddStatistic(string name, Tensor value) => statistics.Add((name, value.detach()));

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

    /// <summary>Forgets everything collected so far.</summary>
    public void Clear()
    {
        losses.Clear();
        statistics.Clear();
    }
}
