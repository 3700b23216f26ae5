using MMAdapt.Adapters.Routing;
using Xunit;

namespace MMAdapt.Tests.Adapters.Routing;

/// <summary>Strategy and aux-loss specs: parse, write back, and reject what is not supported by naming what is.</summary>
public class RoutingSpecTests
{
    [Theory]
    [InlineData("softmax_topk:k=2,renorm=true", "softmax_topk:k=2,renorm=true")]
    [InlineData("softmax_topk:k=1", "softmax_topk:k=1,renorm=false")]
    [InlineData(" TopK_Softmax : K=2 ", "topk_softmax:k=2")]
    [InlineData("noisy_topk:k=2", "noisy_topk:k=2")]
    [InlineData("top_p:p=0.7", "top_p:p=0.7")]
    [InlineData("top_p:p=0.5,max_experts=3", "top_p:p=0.5,max_experts=3")]
    [InlineData("top_any", "top_any")]
    [InlineData("relu", "relu")]
    [InlineData("dense", "dense")]
    [InlineData("expert_choice:cf=1", "expert_choice:cf=1")]
    [InlineData("expert_choice:cf=1.25,inference=expert_choice,fallback_k=2", "expert_choice:cf=1.25,inference=expert_choice,fallback_k=2")]
    public void Strategy_specs_round_trip(string spec, string canonical)
    {
        var strategy = RoutingStrategies.Parse(spec);
        Assert.Equal(canonical, strategy.ToSpec());
        Assert.Equal(strategy, RoutingStrategies.Parse(strategy.ToSpec()));
    }

    [Fact]
    public void Every_strategy_name_parses_to_a_strategy_of_that_name()
    {
        Assert.Equal(["softmax_topk", "topk_softmax", "noisy_topk", "top_p", "top_any", "relu", "expert_choice", "dense"], RoutingStrategies.Names);
        Assert.Equal(new SoftmaxTopK(2, true), RoutingStrategies.Parse("softmax_topk:k=2,renorm=true"));
        Assert.Equal(new ExpertChoice(1) { FallbackK = 2 }, RoutingStrategies.Parse("expert_choice:cf=1,fallback_k=2"));
    }

    [Theory]
    [InlineData("load_balance:coef=0.01,topk=2", "load_balance:coef=0.01,topk=2")]
    [InlineData("load_balance:coef=0.01", "load_balance:coef=0.01")]
    [InlineData("z_loss:coef=0.001", "z_loss:coef=0.001")]
    [InlineData("cv2:coef=0.01", "cv2:coef=0.01")]
    [InlineData("cv2_load:coef=0.1", "cv2_load:coef=0.1")]
    [InlineData("entropy_local:coef=0.5", "entropy_local:coef=0.5")]
    [InlineData("entropy_global:coef=0.5", "entropy_global:coef=0.5")]
    [InlineData("l1:target_sparsity=0.9", "l1:coef=1,target_sparsity=0.9,alpha=1.2,lambda0=1E-08,balanced=false")]
    [InlineData("l1:coef=2,target_sparsity=0.75,alpha=1.5,lambda0=0.001,balanced=true", "l1:coef=2,target_sparsity=0.75,alpha=1.5,lambda0=0.001,balanced=true")]
    public void Aux_loss_specs_round_trip(string spec, string canonical)
    {
        var loss = AuxLosses.Parse(spec);
        Assert.Equal(canonical, loss.ToSpec());
        Assert.Equal(loss, AuxLosses.Parse(loss.ToSpec()));
    }

    [Fact]
    public void Aux_loss_records_carry_their_options()
    {
        Assert.Equal(new SwitchLoadBalance(2) { Coefficient = 0.01 }, AuxLosses.Parse("load_balance:coef=0.01,topk=2"));
        Assert.Equal(new ReluL1(0.9) { Coefficient = 1 }, AuxLosses.Parse("l1:target_sparsity=0.9"));
        Assert.Equal(["load_balance", "z_loss", "cv2", "cv2_load", "entropy_local", "entropy_global", "l1"], AuxLosses.Names);
    }

    [Fact]
    public void Unknown_names_and_keys_fail_listing_what_is_supported()
    {
        var name = Assert.Throws<ArgumentException>(() => RoutingStrategies.Parse("sinkhorn:k=2"));
        Assert.Contains("'sinkhorn'", name.Message);
        Assert.Contains("softmax_topk, topk_softmax, noisy_topk, top_p, top_any, relu, expert_choice, dense", name.Message);

        var key = Assert.Throws<ArgumentException>(() => RoutingStrategies.Parse("softmax_topk:k=2,renormalize=true"));
        Assert.Contains("unknown key 'renormalize'", key.Message);
        Assert.Contains("valid keys: k, renorm", key.Message);

        Assert.Contains("valid keys: (none)", Assert.Throws<ArgumentException>(() => RoutingStrategies.Parse("relu:k=2")).Message);
        Assert.Contains("missing key 'k'", Assert.Throws<ArgumentException>(() => RoutingStrategies.Parse("topk_softmax")).Message);
        Assert.Contains("must be an integer", Assert.Throws<ArgumentException>(() => RoutingStrategies.Parse("topk_softmax:k=two")).Message);
        Assert.Contains("token_choice, expert_choice", Assert.Throws<ArgumentException>(() => RoutingStrategies.Parse("expert_choice:cf=1,inference=never")).Message);

        var loss = Assert.Throws<ArgumentException>(() => AuxLosses.Parse("balance:coef=1"));
        Assert.Contains("load_balance, z_loss, cv2, cv2_load, entropy_local, entropy_global, l1", loss.Message);
        var lossKey = Assert.Throws<ArgumentException>(() => AuxLosses.Parse("load_balance:coef=0.01,k=2"));
        Assert.Contains("valid keys: coef, topk", lossKey.Message);
        Assert.Contains("missing key 'coef'", Assert.Throws<ArgumentException>(() => AuxLosses.Parse("z_loss")).Message);
    }

    [Fact]
    public void Option_values_are_validated_naming_the_option()
    {
        Assert.Contains("p = 1.5", Assert.Throws<ArgumentException>(() => new TopP(1.5).Validate(4)).Message);
        Assert.Contains("cf (capacity factor) = 0", Assert.Throws<ArgumentException>(() => new ExpertChoice(0).Validate(4)).Message);
        Assert.Contains("target_sparsity = 1", Assert.Throws<ArgumentException>(() => new ReluL1(1).Validate(4)).Message);
        Assert.Contains("topk", Assert.Throws<ArgumentException>(() => new SwitchLoadBalance(5).Validate(4)).Message);
        Assert.Contains("at least 2 experts", Assert.Throws<ArgumentException>(() => new Cv2Importance().Validate(1)).Message);
        Assert.Contains("coef = -1", Assert.Throws<ArgumentException>(() => new RouterZLoss { Coefficient = -1 }.Validate(4)).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentException>(() => new RouterOptions { Temperature = 0 }.Validate()).Message);
        Assert.Contains("jitter", Assert.Throws<ArgumentException>(() => new RouterOptions { Jitter = 1 }.Validate()).Message);
    }
}
