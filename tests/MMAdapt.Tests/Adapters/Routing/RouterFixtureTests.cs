using MMAdapt.Adapters.Routing;
using MMAdapt.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Routing;

/// <summary>Every router and loss of <c>Fixtures/routers</c> (8 tokens, 4 experts) reproduced within 1e-6 (absolute).</summary>
public class RouterFixtureTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    /// <summary>Fixture gate tensor, strategy spec, and whether the pass is a training one.</summary>
    public static TheoryData<string, string, bool> Routers => new()
    {
        { "softmax_topk_renorm", "softmax_topk:k=2,renorm=true", false },
        { "softmax_topk", "softmax_topk:k=2", false },
        { "topk_softmax", "topk_softmax:k=2", false },
        { "topk_softmax", "noisy_topk:k=2", false },            // no noise outside training
        { "top_p_0.7", "top_p:p=0.7", false },
        { "expert_choice_cf1", "expert_choice:cf=1", true },
        { "expert_choice_cf1", "expert_choice:cf=1,inference=expert_choice", false },
        { "relu", "relu", false },
        { "dense_soft", "dense", false },
    };

    /// <summary>Fixture loss value, loss spec, and the strategy whose decision it reads.</summary>
    public static TheoryData<string, string, string> Losses => new()
    {
        { "loss_switch_top1", "load_balance:coef=0.01,topk=1", "dense" },
        { "loss_switch_top1", "load_balance:coef=0.01", "softmax_topk:k=1" },
        { "loss_mixtral_top2", "load_balance:coef=0.01,topk=2", "dense" },
        { "loss_mixtral_top2", "load_balance:coef=0.01", "topk_softmax:k=2" },
        { "loss_z", "z_loss:coef=0.001", "dense" },
        { "loss_cv2_importance", "cv2:coef=0.01", "dense" },
        { "loss_entropy_local", "entropy_local:coef=0.01", "dense" },
        { "loss_entropy_global", "entropy_global:coef=0.01", "dense" },
    };

    [Theory]
    [MemberData(nameof(Routers))]
    public void Router_gates_match_the_fixture(string fixture, string spec, bool training)
    {
        using var scope = NewDisposeScope();
        var logits = FixturePaths.Expected("routers", "logits");
        var expected = FixturePaths.Expected("routers", fixture);
        var decision = RoutingStrategies.Parse(spec).Route(logits, new RoutingInputs(Training: training));

        double error = MaxAbs(decision.Gates, expected);
        output.WriteLine($"{spec} vs {fixture}: max abs error {error:E2}");
        Assert.True(error <= Tolerance, $"{spec}: max abs error {error:E2} vs {fixture}");
        Assert.Equal(expected.ne(0).to(ScalarType.Float32).data<float>().ToArray(), decision.Selected.data<float>().ToArray());
        Assert.True(MaxAbs(decision.Probabilities, logits.softmax(1)) == 0, "probabilities are softmax(logits)");
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void Aux_losses_match_the_fixture(string fixture, string spec, string strategy)
    {
        using var scope = NewDisposeScope();
        var logits = FixturePaths.Expected("routers", "logits");
        double expected = FixturePaths.Expected("routers", fixture).item<float>();
        var decision = RoutingStrategies.Parse(strategy).Route(logits, new RoutingInputs());
        var loss = AuxLosses.Parse(spec).Compute(decision, tokenMask: null);

        Assert.Equal(0, loss.dim());
        double error = Math.Abs(loss.item<float>() - expected);
        output.WriteLine($"{spec} on {strategy} vs {fixture}: {loss.item<float>():R} (expected {expected:R}), abs error {error:E2}");
        Assert.True(error <= Tolerance, $"{spec}: abs error {error:E2} vs {fixture}");
    }

    [Fact]
    public void Token_router_from_logits_matches_the_fixture_in_float32_for_bf16_logits_too()
    {
        using var scope = NewDisposeScope();
        var logits = FixturePaths.Expected("routers", "logits");
        using var router = new TokenRouter(4, 4, new SoftmaxTopK(2, Renormalize: true), new RouterOptions(), ScalarType.Float32, null);
        var expected = FixturePaths.Expected("routers", "softmax_topk_renorm");
        var decision = router.FromLogits(logits, new RoutingInputs());
        Assert.True(MaxAbs(decision.Gates, expected) <= Tolerance);
        Assert.False(logits.IsInvalid);   // the caller's logits stay the caller's

        // bf16 logits (a model-dtype fused matmul): the router math runs in float32.
        var fromBf16 = router.FromLogits(logits.to(ScalarType.BFloat16), new RoutingInputs());
        Assert.Equal(ScalarType.Float32, fromBf16.Probabilities.dtype);
        Assert.Equal(ScalarType.Float32, fromBf16.Gates.dtype);
        Assert.True(MaxAbs(fromBf16.Gates, expected) < 1e-2);
    }

    private static double MaxAbs(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        return (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().max().item<double>();
    }
}
