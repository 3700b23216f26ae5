using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// Accumulates routing statistics per layer name across forward passes as device tensors (float64): per-expert
/// token counts, probability and gate sums, and per-modality counts. <see cref="Record"/> only adds into those
/// tensors (no host synchronisation, safe inside forward passes); <see cref="Snapshot"/> reads everything to the
/// host when asked; <see cref="Reset"/> starts over. <see cref="AddTo"/> puts one decision's statistics in an
/// <see cref="AuxSink"/> instead.
/// </summary>
/// <remarks>Padding (token mask 0) is not counted. Modality ids outside <c>[0, Modalities)</c> count in the layer's
/// totals but in no modality row. Thread-safe.</remarks>
public sealed class RoutingStatistics : IDisposable
{
    private readonly object gate = new();
    private readonly List<(string Layer, Accumulator Sums)> layers = [];

    /// <summary>Creates empty statistics.</summary>
    /// <param name="modalities">Number of modality rows <c>M</c> (default: the members of <see cref="Modality"/>).</param>
    public RoutingStatistics(int? modalities = null)
    {
        Modalities = modalities ?? Enum.GetValues<Modality>().Length;
        if (Modalities < 1)
            throw new ArgumentOutOfRangeException(nameof(modalities), $"routing statistics need at least 1 modality row, got {Modalities}.");
    }

    /// <summary>Number of modality rows <c>M</c>.</summary>
    public int Modalities { get; }

    /// <summary>Adds one decision of <paramref name="layer"/> to its running totals (tensor ops only).</summary>
    /// <param name="layer">The layer (router) name.</param>
    /// <param name="decision">The decision.</param>
    /// <param name="tokenMask">Real tokens <c>[N]</c>, or null.</param>
    /// <param name="tokenModality">Per-token modality ids <c>[N]</c> (int64, <see cref="Modality"/> values; e.g.
    /// <see cref="ForwardContext.TokenModality"/> flattened), or null for all text.</param>
    /// <exception cref="ArgumentException">The layer was recorded before with another expert count, or a mask or
    /// modality tensor does not have one value per token.</exception>
    public void Record(string layer, RouterDecision decision, Tensor? tokenMask = null, Tensor? tokenModality = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var totals = DecisionTotals.Of(decision, tokenMask, ScalarType.Float64);
        var device = decision.Gates.device;
        var modality = ModalityOneHot(tokenModality, decision.Tokens, device) * totals.Weights;   // [N, M]
        lock (gate)
        {
            var sums = For(layer, decision.Experts, device);
            sums.Counts.add_(totals.Counts);
            sums.ProbabilitySum.add_(totals.ProbabilitySum);
            sums.GateSum.add_(totals.GateSum);
            sums.Tokens.add_(totals.Tokens);
            sums.ModalityCounts.add_(modality.t().matmul(totals.Selected));          // [M, E]
            sums.ModalityTokens.add_(modality.sum(dim: 0));                              // [M]
        }
    }

    /// <summary>Reads every layer's totals to the host (one synchronisation per layer).</summary>
    public RoutingSnapshot Snapshot()
    {
        lock (gate)
            return new RoutingSnapshot(layers.Select(l => l.Sums.Read(l.Layer)).ToList());
    }

    /// <summary>Forgets every layer's totals.</summary>
    public void Reset()
    {
        lock (gate)
        {
            foreach (var (_, sums) in layers)
                sums.Dispose();
            layers.Clear();
        }
    }

    /// <summary>Puts one decision's statistics into <paramref name="sink"/> (detached, tensor ops only):
    /// <c>&lt;layer&gt;/expert_load</c> (share of selections per expert <c>[E]</c>), <c>&lt;layer&gt;/expert_prob</c>
    /// (mean <c>p</c> <c>[E]</c>), <c>&lt;layer&gt;/expert_gate</c> (mean gate <c>[E]</c>) and
    /// <c>&lt;layer&gt;/experts_per_token</c> (scalar), over real tokens, in the decision's dtype.</summary>
    /// <param name="sink">The forward pass's sink.</param>
    /// <param name="layer">The layer (router) name.</param>
    /// <param name="decision">The decision.</param>
    /// <param name="tokenMask">Real tokens <c>[N]</c>, or null.</param>
    public static void AddTo(AuxSink sink, string layer, RouterDecision decision, Tensor? tokenMask = null)
    {
        using var _ = no_grad();
        var totals = DecisionTotals.Of(decision, tokenMask, decision.Gates.dtype);
        var tokens = totals.Tokens.clamp_min(1);
        sink.AddStatistic($"{layer}/expert_load", totals.Counts / totals.Counts.sum().clamp_min(1));
        sink.AddStatistic($"{layer}/expert_prob", totals.ProbabilitySum / tokens);
        sink.AddStatistic($"{layer}/expert_gate", totals.GateSum / tokens);
        sink.AddStatistic($"{layer}/experts_per_token", totals.Counts.sum() / tokens);
    }

    /// <inheritdoc/>
    public void Dispose() => Reset();

    /// <summary>[N, M] 0/1: token t has modality m (all text when <paramref name="ids"/> is null).</summary>
    private Tensor ModalityOneHot(Tensor? ids, long tokens, Device device)
    {
        var rows = arange(Modalities, dtype: ScalarType.Int64, device: device).unsqueeze(0);     // [1, M]
        if (ids is null)
            return rows.eq((long)Modality.Text).to(ScalarType.Float64).expand(tokens, Modalities);
        if (ids.numel() != tokens)
            throw new ArgumentException($"token modality must have one id per token ({tokens}), got [{string.Join(", ", ids.shape)}].", nameof(ids));
        return ids.reshape(tokens, 1).to(ScalarType.Int64).eq(rows).to(ScalarType.Float64);
    }

    private Accumulator For(string layer, int experts, Device device)
    {
        foreach (var (name, sums) in layers)
        {
            if (name != layer)
                continue;
            if (sums.Experts != experts)
                throw new ArgumentException($"routing statistics for '{layer}': recorded with {sums.Experts} experts, now {experts}.", nameof(layer));
            return sums;
        }
        var created = new Accumulator(experts, Modalities, device);
        layers.Add((layer, created));
        return created;
    }

    /// <summary>One layer's running totals (float64 tensors on the router's device, outside any dispose scope).</summary>
    private sealed class Accumulator : IDisposable
    {
        public Accumulator(int experts, int modalities, Device device)
        {
            Experts = experts;
            Tensor Zeros(params long[] shape) => zeros(shape, dtype: ScalarType.Float64, device: device).DetachFromDisposeScope();
            Counts = Zeros(experts);
            ProbabilitySum = Zeros(experts);
            GateSum = Zeros(experts);
            Tokens = Zeros();
            ModalityCounts = Zeros(modalities, experts);
            ModalityTokens = Zeros(modalities);
        }

        public int Experts { get; }
        public Tensor Counts { get; }
        public Tensor ProbabilitySum { get; }
        public Tensor GateSum { get; }
        public Tensor Tokens { get; }
        public Tensor ModalityCounts { get; }
        public Tensor ModalityTokens { get; }

        /// <summary>Everything to the host in one copy.</summary>
        public LayerRoutingStats Read(string layer)
        {
            int m = (int)ModalityTokens.shape[0];
            double[] flat;
            using (var all = cat([Counts, ProbabilitySum, GateSum, Tokens.reshape(1), ModalityCounts.reshape(-1), ModalityTokens]))
            using (var host = all.cpu())
                flat = host.data<double>().ToArray();
            var counts = flat[..Experts];
            double tokens = flat[3 * Experts];
            double selections = counts.Sum();
            var byModality = new long[m, Experts];
            int offset = 3 * Experts + 1;
            for (int row = 0; row < m; row++)
                for (int e = 0; e < Experts; e++)
                    byModality[row, e] = (long)Math.Round(flat[offset + row * Experts + e]);
            return new LayerRoutingStats(
                layer,
                (long)Math.Round(tokens),
                counts.Select(c => (long)Math.Round(c)).ToArray(),
                counts.Select(c => selections == 0 ? 0 : c / selections).ToArray(),
                flat[Experts..(2 * Experts)].Select(s => tokens == 0 ? 0 : s / tokens).ToArray(),
                flat[(2 * Experts)..(3 * Experts)].Select(s => tokens == 0 ? 0 : s / tokens).ToArray(),
                byModality,
                flat[(offset + m * Experts)..].Select(t => (long)Math.Round(t)).ToArray());
        }

        public void Dispose()
        {
            Counts.Dispose();
            ProbabilitySum.Dispose();
            GateSum.Dispose();
            Tokens.Dispose();
            ModalityCounts.Dispose();
            ModalityTokens.Dispose();
        }
    }
}
