using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Routing;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Tests.Adapters.Lora;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Mixtures;

public class MixtureUpcyclingTests
{
    private static readonly TargetSelection QandV = new() { Targets = ModuleSelector.Of("q_proj", "v_proj") };

    [Theory]
    [InlineData("softmax_topk:k=2,renorm=true")]
    [InlineData("dense")]
    public void An_upcycled_mixture_adds_what_the_lora_added_and_the_lora_falls_silent(string strategy)
    {
        using var model = AdapterCases.Model();
        using var ids = AdapterCases.InputIds();
        using var plain = AdapterCases.Logits(model, ids);
        // A trained-looking LoRA (random B, alpha 16 with r 4) and a mixture of rank 4 with another alpha.
        AdapterCases.Attach(model, AdapterCases.Lora() with { Alpha = 16, InitLoraWeights = AdapterCases.Json("false") }, "dense");
        using var withLora = AdapterCases.Logits(model, ids);
        MixtureAttacher.Attach(model, "llm", QandV, new MixtureOptions { Experts = 3, Rank = 4, Alpha = 4, Strategy = RoutingStrategies.Parse(strategy) }, "moe", seed: 3);

        Assert.Equal(4, MixtureUpcycling.Upcycle(model, "moe", "dense")); // q and v in both layers
        using var upcycled = AdapterCases.Logits(model, ids);
        Assert.True((withLora - plain).abs().max().item<float>() > 1e-2, "the LoRA should change the logits for this test to mean anything");
        // Equal up to float summation order (about 5e-6 here).
        Assert.True(upcycled.allclose(withLora, rtol: 1e-4, atol: 2e-5), $"max difference {(upcycled - withLora).abs().max().item<float>()}");
        Assert.All(model.modules().OfType<LoraLinear>(), lora => Assert.Equal(0, lora.B.abs().sum().item<float>()));
    }

    [Fact]
    public void Noise_lets_the_experts_differ_and_is_seeded()
    {
        Tensor ExpertsA(long seed)
        {
            using var model = AdapterCases.Model();
            AdapterCases.Attach(model, AdapterCases.Lora() with { InitLoraWeights = AdapterCases.Json("false") }, "dense");
            MixtureAttacher.Attach(model, "llm", QandV, new MixtureOptions { Experts = 2, Rank = 4, Alpha = 8 }, "moe", seed: 3);
            MixtureUpcycling.Upcycle(model, "moe", "dense", noiseStd: 0.01, seed: seed);
            return model.state_dict().First(kv => kv.Key.EndsWith("adapters.moe.lora_A", StringComparison.Ordinal)).Value.clone();
        }
        using var a = ExpertsA(1);
        using var again = ExpertsA(1);
        using var other = ExpertsA(2);
        Assert.True(a.equal(again).all().item<bool>());
        Assert.False(a.equal(other).all().item<bool>());
        Assert.False(a[0].equal(a[1]).all().item<bool>());
    }

    [Fact]
    public void A_mixture_without_its_lora_or_of_another_rank_is_refused_by_name()
    {
        using var model = AdapterCases.Model();
        AdapterCases.Attach(model, AdapterCases.Lora() with { TargetModules = ModuleSelector.Of("q_proj") }, "dense");
        MixtureAttacher.Attach(model, "llm", QandV, new MixtureOptions { Experts = 2, Rank = 4 }, "moe");
        var missing = Assert.Throws<ArgumentException>(() => MixtureUpcycling.Upcycle(model, "moe", "dense"));
        Assert.Contains("v_proj: holds mixture 'moe' but no LoRA 'dense'", missing.Message);

        using var other = AdapterCases.Model();
        AdapterCases.Attach(other, AdapterCases.Lora(), "dense");
        MixtureAttacher.Attach(other, "llm", QandV, new MixtureOptions { Experts = 2, Rank = 2 }, "moe");
        Assert.Contains("do not fit experts of rank 2", Assert.Throws<ArgumentException>(() => MixtureUpcycling.Upcycle(other, "moe", "dense")).Message);
        Assert.Contains("no projection holds a mixture named 'nothing'", Assert.Throws<ArgumentException>(() => MixtureUpcycling.Upcycle(other, "nothing", "dense")).Message);
    }
}
