using MMAdapt.Adapters.Routing;
using MMAdapt.Core.Modules;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Routing;

/// <summary>Routing statistics accumulate on the device over several calls and read out the hand counts.</summary>
public class RoutingStatisticsTests
{
    [Fact]
    public void Statistics_accumulate_over_calls_and_match_a_hand_count()
    {
        using var scope = NewDisposeScope();
        var logits = FixturePaths.Expected("routers", "logits");                 // [8, 4]
        var rows = logits.data<float>().ToArray().Chunk(4).ToArray();
        var modality = new long[] { 0, 1, 1, 0, 2, 2, 0, 1 };
        var real = new[] { true, true, true, true, true, false, true, true };   // token 5 is padding
        var strategy = new SoftmaxTopK(2, Renormalize: true);
        using var statistics = new RoutingStatistics();

        foreach (var (start, length) in new[] { (0, 3), (3, 3), (6, 2) })
        {
            var decision = strategy.Route(logits.narrow(0, start, length), new RoutingInputs());
            statistics.Record("layers.0", decision, tensor(real[start..(start + length)]), tensor(modality[start..(start + length)]));
            statistics.Record("layers.1", decision);
        }

        // Hand count: each real token's two largest logits.
        var counts = new long[4];
        var byModality = new long[3, 4];
        var probSum = new double[4];
        var gateSum = new double[4];
        for (int t = 0; t < 8; t++)
        {
            if (!real[t])
                continue;
            var p = Softmax(rows[t]);
            var top = Enumerable.Range(0, 4).OrderByDescending(e => rows[t][e]).Take(2).ToArray();
            foreach (var e in top)
            {
                counts[e]++;
                byModality[modality[t], e]++;
                gateSum[e] += p[e] / top.Sum(i => p[i]);
            }
            for (int e = 0; e < 4; e++)
                probSum[e] += p[e];
        }

        var snapshot = statistics.Snapshot();
        Assert.Equal(["layers.0", "layers.1"], snapshot.Layers.Select(l => l.Layer));
        var layer = snapshot["layers.0"];
        Assert.Equal(7, layer.Tokens);
        Assert.Equal(counts, layer.Counts);
        Assert.Equal(byModality, layer.CountsByModality);
        Assert.Equal(new long[] { 3, 3, 1 }, layer.TokensByModality);   // the padded token 5 was audio
        Assert.Equal(new long[] { byModality[1, 0], byModality[1, 1], byModality[1, 2], byModality[1, 3] }, layer.CountsFor(Modality.Image));
        Assert.Equal(2, layer.ExpertsPerToken, 12);
        for (int e = 0; e < 4; e++)
        {
            Assert.Equal(counts[e] / 14.0, layer.LoadShare[e], 12);
            Assert.Equal(probSum[e] / 7, layer.MeanProbability[e], 6);
            Assert.Equal(gateSum[e] / 7, layer.MeanGate[e], 6);
        }

        var unmasked = snapshot["layers.1"];                                      // no mask, all text
        Assert.Equal(8, unmasked.Tokens);
        Assert.Equal(16, unmasked.Counts.Sum());
        Assert.Equal(new long[] { 8, 0, 0 }, unmasked.TokensByModality);
        Assert.Throws<KeyNotFoundException>(() => snapshot["layers.2"]);

        statistics.Reset();
        Assert.Empty(statistics.Snapshot().Layers);
    }

    [Fact]
    public void Statistics_reject_a_changed_expert_count()
    {
        using var scope = NewDisposeScope();
        using var statistics = new RoutingStatistics();
        statistics.Record("router", new DenseSoft().Route(zeros(2, 4), new RoutingInputs()));
        var error = Assert.Throws<ArgumentException>(() => statistics.Record("router", new DenseSoft().Route(zeros(2, 3), new RoutingInputs())));
        Assert.Contains("'router'", error.Message);
    }

    [Fact]
    public void One_decision_goes_into_the_sink_as_detached_statistics()
    {
        using var scope = NewDisposeScope();
        var logits = FixturePaths.Expected("routers", "logits").requires_grad_(true);
        var decision = new SoftmaxTopK(1).Route(logits, new RoutingInputs());
        var sink = new AuxSink();
        RoutingStatistics.AddTo(sink, "mlp.router", decision);

        Assert.Equal(["mlp.router/expert_load", "mlp.router/expert_prob", "mlp.router/expert_gate", "mlp.router/experts_per_token"],
            sink.Statistics.Select(s => s.Name));
        Assert.Equal(new float[] { 1 / 8f, 3 / 8f, 2 / 8f, 2 / 8f }, sink.Statistics[0].Value.data<float>().ToArray());
        Assert.Equal(1f, sink.Statistics[3].Value.item<float>());
        Assert.All(sink.Statistics, s => Assert.False(s.Value.requires_grad));
    }

    private static double[] Softmax(float[] logits)
    {
        var exp = logits.Select(l => Math.Exp(l)).ToArray();
        return exp.Select(v => v / exp.Sum()).ToArray();
    }
}
