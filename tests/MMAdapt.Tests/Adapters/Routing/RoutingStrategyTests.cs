using MMAdapt.Adapters.Routing;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Routing;

/// <summary>Behaviour of the strategies and of <see cref="TokenRouter"/> beyond the fixture values.</summary>
public class RoutingStrategyTests
{
    private static Tensor RandomLogits(long tokens, long experts, ulong seed) =>
        randn(tokens, experts, generator: new Generator(seed));

    private static float[] Floats(Tensor t) => t.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();

    [Theory]
    [InlineData("softmax_topk", 5)]
    [InlineData("softmax_topk", 0)]
    [InlineData("topk_softmax", 5)]
    [InlineData("noisy_topk", -1)]
    public void Top_k_outside_one_to_E_fails_naming_k_and_E(string name, int k)
    {
        var strategy = RoutingStrategies.Parse($"{name}:k={k}");
        var error = Assert.Throws<ArgumentException>(() => strategy.Validate(4));
        Assert.Contains($"k = {k}", error.Message);
        Assert.Contains("E = 4", error.Message);
        Assert.Contains(name, error.Message);

        using var scope = NewDisposeScope();
        Assert.Contains($"k = {k}", Assert.Throws<ArgumentException>(() => strategy.Route(RandomLogits(3, 4, 1), new RoutingInputs())).Message);
    }

    [Fact]
    public void Zero_experts_fail_for_every_strategy_and_the_router()
    {
        foreach (var name in RoutingStrategies.Names)
        {
            var strategy = RoutingStrategies.Parse(name switch
            {
                "softmax_topk" or "topk_softmax" or "noisy_topk" => $"{name}:k=1",
                "top_p" => "top_p:p=0.5",
                "expert_choice" => "expert_choice:cf=1",
                _ => name,
            });
            Assert.Contains("experts", Assert.Throws<ArgumentException>(() => strategy.Validate(0)).Message);
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new TokenRouter(8, 0, new DenseSoft(), new RouterOptions(), ScalarType.Float32, null));
        Assert.Contains("experts must be at least 1, got 0", error.Message);
    }

    [Fact]
    public void Expert_choice_never_picks_padding_and_fills_capacity_exactly()
    {
        using var scope = NewDisposeScope();
        var logits = RandomLogits(10, 4, 7);
        var mask = tensor(new[] { true, true, true, false, true, true, true, true, false, true });   // 8 real tokens
        foreach (var (cf, capacity) in new[] { (1.0, 2), (1.5, 3), (3.0, 6), (8.0, 8) })   // ⌈cf · 8 / 4⌉, at most 8
        {
            var decision = new ExpertChoice(cf).Route(logits, new RoutingInputs(mask, Training: true));
            var perExpert = Floats(decision.Selected.sum(dim: 0));
            Assert.All(perExpert, c => Assert.Equal(capacity, c));
            Assert.Equal(0, decision.Selected[3].sum().item<float>());
            Assert.Equal(0, decision.Selected[8].sum().item<float>());
            Assert.Equal(0, decision.Gates[3].abs().sum().item<float>());
            Assert.Equal(Floats(decision.Probabilities * decision.Selected), Floats(decision.Gates));
        }

        // Without a mask every token is real: ⌈1 · 10 / 4⌉ = 3 per expert.
        var unmasked = new ExpertChoice(1).Route(logits, new RoutingInputs(Training: true));
        Assert.All(Floats(unmasked.Selected.sum(dim: 0)), c => Assert.Equal(3, c));
        Assert.True(new ExpertChoice(1).LooksAcrossTokens);
    }

    [Fact]
    public void Expert_choice_routes_with_its_token_choice_fallback_outside_training()
    {
        using var scope = NewDisposeScope();
        var logits = RandomLogits(6, 4, 3);
        var strategy = new ExpertChoice(2.4);
        Assert.Equal(new SoftmaxTopK(2, Renormalize: true), strategy.TokenChoiceFallback(4));
        Assert.Equal(new SoftmaxTopK(1, Renormalize: true), new ExpertChoice(0.3).TokenChoiceFallback(4));
        Assert.Equal(new SoftmaxTopK(4, Renormalize: true), new ExpertChoice(9).TokenChoiceFallback(4));
        var inference = strategy.Route(logits, new RoutingInputs());
        var expected = new SoftmaxTopK(2, Renormalize: true).Route(logits, new RoutingInputs());
        Assert.Equal(Floats(expected.Gates), Floats(inference.Gates));
        Assert.Null((strategy with { Inference = ExpertChoiceInference.ExpertChoice }).TokenChoiceFallback(4));
    }

    [Fact]
    public void Top_any_selects_at_least_one_expert_and_averages_the_selected()
    {
        using var scope = NewDisposeScope();
        var logits = RandomLogits(32, 5, 11).tanh();    // cosine-like scores in [-1, 1]
        foreach (var threshold in new[] { -5.0, 0.0, 0.5, 5.0 })
        {
            var inputs = new RoutingInputs { Thresholds = full(5, threshold) };
            var decision = new TopAny().Route(logits, inputs);
            var perToken = Floats(decision.Selected.sum(dim: 1));
            Assert.All(perToken, c => Assert.InRange(c, 1, 5));
            Assert.All(Floats(decision.Gates.sum(dim: 1)), s => Assert.Equal(1, s, 5));
            if (threshold == 5.0)       // nothing clears it: each token gets its best expert
                Assert.Equal(TensorAssertLongs(logits.argmax(1)), TensorAssertLongs(decision.Selected.argmax(1)));
            if (threshold == -5.0)
                Assert.All(perToken, c => Assert.Equal(5, c));
        }
    }

    [Fact]
    public void Top_p_respects_max_experts()
    {
        using var scope = NewDisposeScope();
        var flat = zeros(4, 6);     // uniform p: reaching 0.9 needs 6 experts, capped at 2
        var decision = new TopP(0.9, MaxExperts: 2).Route(flat, new RoutingInputs());
        Assert.All(Floats(decision.Selected.sum(dim: 1)), c => Assert.Equal(2, c));
        Assert.All(Floats(decision.Gates.sum(dim: 1)), s => Assert.Equal(1, s, 6));
        // stable sort: ties go to the lower expert index
        Assert.Equal(new float[] { 1, 1, 0, 0, 0, 0 }, Floats(decision.Selected[0]));
    }

    [Fact]
    public void Noisy_top_k_adds_noise_only_in_training_and_is_reproducible_with_a_seed()
    {
        using var scope = NewDisposeScope();
        var logits = RandomLogits(64, 8, 5);
        var std = full(64, 8, 2.0);
        var strategy = new NoisyTopK(2);

        var clean = strategy.Route(logits, new RoutingInputs { NoiseStd = std });
        var topkSoftmax = new TopKSoftmax(2).Route(logits, new RoutingInputs());
        Assert.Equal(Floats(topkSoftmax.Gates), Floats(clean.Gates));
        Assert.Null(clean.Load);

        RouterDecision Train(ulong seed) => strategy.Route(logits, new RoutingInputs(Training: true, Noise: new Generator(seed)) { NoiseStd = std });
        var first = Train(42);
        var again = Train(42);
        var other = Train(43);
        Assert.Equal(Floats(first.Gates), Floats(again.Gates));
        Assert.NotEqual(Floats(first.Gates), Floats(clean.Gates));
        Assert.NotEqual(Floats(first.Gates), Floats(other.Gates));
        Assert.All(Floats(first.Selected.sum(dim: 1)), c => Assert.Equal(2, c));
        Assert.All(Floats(first.Load!), p => Assert.InRange(p, 0, 1));
        Assert.Equal(Floats(logits), Floats(first.Logits));          // the logits stay clean

        var error = Assert.Throws<InvalidOperationException>(() => strategy.Route(logits, new RoutingInputs(Training: true)));
        Assert.Contains("NoiseStd", error.Message);
    }

    [Fact]
    public void Token_router_noise_is_reproducible_and_absent_at_inference()
    {
        using var scope = NewDisposeScope();
        using var router = new TokenRouter(6, 4, new NoisyTopK(1), new RouterOptions { Jitter = 0.1 }, ScalarType.Float32, null, new Generator(1));
        var x = randn(16, 6, generator: new Generator(2));
        var a = router.Forward(x, new RoutingInputs(Training: true, Noise: new Generator(9)));
        var b = router.Forward(x, new RoutingInputs(Training: true, Noise: new Generator(9)));
        var evalA = router.Forward(x, new RoutingInputs());
        var evalB = router.Forward(x, new RoutingInputs());
        Assert.Equal(Floats(a.Gates), Floats(b.Gates));
        Assert.Equal(Floats(evalA.Gates), Floats(evalB.Gates));
        Assert.Equal(Floats(router.Logits(x)), Floats(evalA.Logits));  // no jitter at inference
        Assert.NotEqual(Floats(a.Logits), Floats(evalA.Logits));       // jitter in training
        Assert.Equal(new[] { "weight", "noise_weight" }, router.state_dict().Keys);
    }

    /// <summary>Strategy specs whose gates carry gradients to the router.</summary>
    public static TheoryData<string> Differentiable => new()
    {
        "softmax_topk:k=2", "softmax_topk:k=2,renorm=true", "topk_softmax:k=2", "noisy_topk:k=2", "top_p:p=0.7",
        "top_any", "relu", "expert_choice:cf=1", "dense",
    };

    [Theory]
    [MemberData(nameof(Differentiable))]
    public void Gradients_reach_the_router_weights(string spec)
    {
        using var scope = NewDisposeScope();
        var strategy = RoutingStrategies.Parse(spec);
        using var router = new TokenRouter(6, 4, strategy, new RouterOptions { InitStd = 0.5 }, ScalarType.Float32, null, new Generator(3));
        var x = randn(12, 6, generator: new Generator(4));
        var decision = router.Forward(x, new RoutingInputs(Training: true, Noise: new Generator(5)));
        var loss = (decision.Gates * randn(12, 4, generator: new Generator(6))).sum();
        loss.backward();

        foreach (var (name, parameter) in router.named_parameters())
        {
            var grad = parameter.grad ?? throw new Xunit.Sdk.XunitException($"{spec}: no gradient for {name}");
            Assert.True(grad.abs().sum().item<float>() > 0, $"{spec}: zero gradient for {name}");
        }
    }

    [Fact]
    public void Fp32_router_math_with_bf16_inputs_returns_float32()
    {
        using var scope = NewDisposeScope();
        var x = randn(5, 8, generator: new Generator(1)).to(ScalarType.BFloat16);
        using var fp32 = new TokenRouter(8, 4, new SoftmaxTopK(2), new RouterOptions(), ScalarType.BFloat16, null);
        var decision = fp32.Forward(x, new RoutingInputs());
        Assert.Equal(ScalarType.BFloat16, fp32.Weight.dtype);
        Assert.All(new[] { decision.Logits, decision.Probabilities, decision.Gates }, t => Assert.Equal(ScalarType.Float32, t.dtype));

        using var native = new TokenRouter(8, 4, new SoftmaxTopK(2), new RouterOptions { Fp32 = false }, ScalarType.BFloat16, null);
        Assert.Equal(ScalarType.BFloat16, native.Forward(x, new RoutingInputs()).Probabilities.dtype);
    }

    [Fact]
    public void Router_keys_shapes_temperature_and_cosine_scoring()
    {
        using var scope = NewDisposeScope();
        using var topAny = new TokenRouter(6, 3, new TopAny(), new RouterOptions { Temperature = 0.5 }, ScalarType.Float32, null, new Generator(1));
        Assert.Equal(new[] { "weight", "thresholds" }, topAny.state_dict().Keys);
        Assert.Equal(new long[] { 3, 6 }, topAny.Weight.shape);
        var x = randn(4, 6, generator: new Generator(2));
        var cosine = topAny.Logits(x);
        Assert.True(cosine.abs().max().item<float>() <= 1 + 1e-6);
        Assert.Equal(Floats(cosine * 2), Floats(topAny.Forward(x, new RoutingInputs()).Logits));

        using var zero = new TokenRouter(6, 3, new Relu(), new RouterOptions { InitStd = 0 }, ScalarType.Float32, null);
        Assert.Equal(0, zero.Weight.abs().sum().item<float>());
        Assert.Throws<ArgumentException>(() => zero.Forward(randn(4, 5), new RoutingInputs()));
        Assert.Throws<InvalidOperationException>(() => zero.NoiseStd(x));
    }

    private static long[] TensorAssertLongs(Tensor t) => TestSupport.TensorAssert.Longs(t);
}
