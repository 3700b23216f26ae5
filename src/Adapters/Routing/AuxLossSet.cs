using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// The aux losses of a router (or of a whole model), applied together: each weighted loss
/// (<c>Coefficient · Compute</c>, times ReMoE's adaptive λ for <see cref="ReluL1"/>) goes into an
/// <see cref="AuxSink"/> as <c>&lt;layer&gt;/&lt;loss name&gt;</c>. Owns the adaptive λ state.
/// </summary>
/// <remarks>
/// Call <see cref="Add"/> in training passes only, and <see cref="Step"/> once per optimiser step (it advances the
/// adaptive λ of every <see cref="ReluL1"/> loss from the sparsity observed since the last step). Share one set
/// across layers for ReMoE's global λ. No host synchronisation.
/// </remarks>
public sealed class AuxLossSet : IDisposable
{
    private readonly AdaptiveL1Lambda?[] lambdas;

    /// <summary>Creates the set.</summary>
    /// <param name="losses">The losses (from <see cref="AuxLosses.Parse"/>, say).</param>
    /// <param name="experts">The router's expert count; every loss is validated against it.</param>
    /// <exception cref="ArgumentException">A loss does not fit (the message names it), or two losses have the same name.</exception>
    public AuxLossSet(IEnumerable<AuxLoss> losses, int experts)
    {
        Losses = losses.ToArray();
        foreach (var loss in Losses)
            loss.Validate(experts);
        var twice = Losses.GroupBy(l => l.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new ArgumentException($"aux loss '{twice.Key}' is listed twice; its sink name would repeat.", nameof(losses));
        Experts = experts;
        lambdas = new AdaptiveL1Lambda?[Losses.Count];
    }

    /// <summary>The losses, in order.</summary>
    public IReadOnlyList<AuxLoss> Losses { get; }

    /// <summary>The expert count the losses were validated for.</summary>
    public int Experts { get; }

    /// <summary>The adaptive λ of the <see cref="ReluL1"/> loss at <paramref name="index"/>, or null before its first use
    /// (or when that loss is not an L1 loss).</summary>
    public AdaptiveL1Lambda? LambdaOf(int index) => lambdas[index];

    /// <summary>Computes every loss for one decision, adds each weighted loss to the sink, and returns their sum
    /// (null when the set is empty).</summary>
    /// <param name="sink">Where the weighted losses go.</param>
    /// <param name="layer">Prefix of the sink names (the router's module path).</param>
    /// <param name="decision">The router's decision.</param>
    /// <param name="tokenMask">Real tokens <c>[N]</c>, or null.</param>
    public Tensor? Add(AuxSink sink, string layer, RouterDecision decision, Tensor? tokenMask)
    {
        if (decision.Experts != Experts)
            throw new ArgumentException($"aux losses of {layer}: decision has {decision.Experts} experts, the losses were set up for {Experts}.", nameof(decision));
        Tensor? total = null;
        for (int i = 0; i < Losses.Count; i++)
        {
            var loss = Losses[i];
            var weighted = loss.Compute(decision, tokenMask) * loss.Coefficient;
            if (loss is ReluL1 l1)
            {
                var lambda = lambdas[i] ??= new AdaptiveL1Lambda(l1, decision.Gates.device);
                weighted = weighted * lambda.Value.to(weighted.dtype);
                lambda.Observe(decision, tokenMask);
            }
            sink.AddLoss($"{layer}/{loss.Name}", weighted);
            total = total is null ? weighted : total + weighted;
        }
        return total;
    }

    /// <summary>Advances every adaptive λ (once per optimiser step).</summary>
    public void Step()
    {
        foreach (var lambda in lambdas)
            lambda?.Step();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var lambda in lambdas)
            lambda?.Dispose();
    }
}
