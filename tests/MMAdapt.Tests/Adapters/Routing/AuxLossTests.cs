using MMAdapt.Adapters.Routing;
using MMAdapt.Core.Modules;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Routing;

/// <summary>Aux losses beyond the fixture values: padding, the adaptive L1 coefficient, the sink.</summary>
public class AuxLossTests
{
    /// <summary>Every loss kind.</summary>
    public static TheoryData<string> AllLosses => new()
    {
        "load_balance:coef=1", "load_balance:coef=1,topk=2", "z_loss:coef=1", "cv2:coef=1", "cv2_load:coef=1",
        "entropy_local:coef=1", "entropy_global:coef=1", "l1:target_sparsity=0.5", "l1:target_sparsity=0.5,balanced=true",
    };

    [Theory]
    [MemberData(nameof(AllLosses))]
    public void Padding_does_not_count(string spec)
    {
        using var scope = NewDisposeScope();
        var logits = FixturePaths.Expected("routers", "logits");
        var strategy = spec.StartsWith("l1") ? (RoutingStrategy)new Relu() : new SoftmaxTopK(2);
        var loss = AuxLosses.Parse(spec);
        var mask = tensor(new[] { 1, 1, 1, 1, 1, 0, 0, 0 });

        var masked = loss.Compute(strategy.Route(logits, new RoutingInputs()), mask);
        var real = loss.Compute(strategy.Route(logits[..5], new RoutingInputs()), null);
        Assert.Equal(real.item<float>(), masked.item<float>(), 5);
    }

    [Fact]
    public void Relu_l1_matches_hand_computed_values()
    {
        using var scope = NewDisposeScope();
        var logits = FixturePaths.Expected("routers", "logits");
        var decision = new Relu().Route(logits, new RoutingInputs());
        var gates = logits.clamp_min(0);
        double plain = gates.sum().item<float>() / 8;
        Assert.Equal(plain, new ReluL1(0.5).Compute(decision, null).item<float>(), 5);

        // ReMoE's load-balanced form: Σ_e (count_e / N) / (1 − S) · mean_t g_te
        var share = logits.gt(0).to(ScalarType.Float32).mean([0L]) / 0.5;
        double balanced = (share * gates.mean([0L])).sum().item<float>();
        Assert.Equal(balanced, new ReluL1(0.5) { LoadBalanced = true }.Compute(decision, null).item<float>(), 5);
    }

    [Fact]
    public void Adaptive_lambda_follows_the_observed_sparsity_without_reading_it()
    {
        using var scope = NewDisposeScope();
        var options = new ReluL1(0.6) { Alpha = 2, InitialLambda = 1 };
        using var lambda = new AdaptiveL1Lambda(options);
        var logits = FixturePaths.Expected("routers", "logits");            // 15 of 32 logits are positive
        var decision = new Relu().Route(logits, new RoutingInputs());        // sparsity 17/32 = 0.53 < 0.6
        var dense = new DenseSoft().Route(logits, new RoutingInputs());      // sparsity 0

        lambda.Observe(decision, null);
        lambda.Step();
        Assert.Equal(2, lambda.Read(), 6);                                   // too dense: λ · α
        lambda.Step();
        Assert.Equal(2, lambda.Read(), 6);                                   // nothing observed: unchanged
        var allZero = new Relu().Route(-logits.abs() - 1, new RoutingInputs());  // sparsity 1 > 0.6
        lambda.Observe(allZero, null);
        lambda.Observe(allZero, null);
        lambda.Step();
        Assert.Equal(1, lambda.Read(), 6);                                   // too sparse: λ / α
        lambda.Observe(allZero, null);                                       // mean of 1 and 0 = 0.5 < 0.6
        lambda.Observe(dense, null);
        lambda.Step();
        Assert.Equal(2, lambda.Read(), 6);
        Assert.Equal(0, lambda.Value.dim());
    }

    [Fact]
    public void Aux_loss_set_weights_each_loss_and_names_it_in_the_sink()
    {
        using var scope = NewDisposeScope();
        var logits = FixturePaths.Expected("routers", "logits").requires_grad_(true);
        var decision = new Relu().Route(logits, new RoutingInputs(Training: true));
        var losses = new AuxLoss[] { AuxLosses.Parse("z_loss:coef=0.5"), AuxLosses.Parse("l1:coef=2,target_sparsity=0.9,lambda0=0.25") };
        using var set = new AuxLossSet(losses, 4);
        var sink = new AuxSink();

        var total = set.Add(sink, "layers.0.router", decision, null)!;
        Assert.Equal(["layers.0.router/z_loss", "layers.0.router/l1"], sink.Losses.Select(l => l.Name));
        double z = new RouterZLoss().Compute(decision, null).item<float>();
        double l1 = new ReluL1(0.9).Compute(decision, null).item<float>();
        Assert.Equal(0.5 * z, sink.Losses[0].Value.item<float>(), 5);
        Assert.Equal(2 * 0.25 * l1, sink.Losses[1].Value.item<float>(), 5);
        Assert.Equal(0.5 * z + 0.5 * l1, total.item<float>(), 5);
        total.backward();
        Assert.True(logits.grad!.abs().sum().item<float>() > 0);

        set.Step();                                        // sparsity 0.53 < 0.9: λ grows
        Assert.Equal(0.25 * 1.2, set.LambdaOf(1)!.Read(), 6);
        Assert.Null(set.LambdaOf(0));

        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => new AuxLossSet([new RouterZLoss(), new RouterZLoss()], 4)).Message);
        Assert.Contains("topk", Assert.Throws<ArgumentException>(() => new AuxLossSet([new SwitchLoadBalance(3)], 2)).Message);
    }

    [Fact]
    public void Cv2_load_reads_the_smooth_load_of_noisy_top_k()
    {
        using var scope = NewDisposeScope();
        var logits = randn(32, 4, generator: new Generator(1)).requires_grad_(true);
        var decision = new NoisyTopK(2).Route(logits, new RoutingInputs(Training: true, Noise: new Generator(2)) { NoiseStd = full(32, 4, 0.7) });
        var loss = new Cv2Load().Compute(decision, null);
        loss.backward();
        Assert.True(logits.grad!.abs().sum().item<float>() > 0);     // differentiable through Φ

        var counted = new SoftmaxTopK(1).Route(FixturePaths.Expected("routers", "logits"), new RoutingInputs());
        // argmax counts per expert over the fixture: 1, 3, 2, 2 → mean 2, unbiased var 2/3 → CV² 1/6
        Assert.Equal(1.0 / 6, new Cv2Load().Compute(counted, null).item<float>(), 5);
    }
}
