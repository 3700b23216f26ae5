using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Modules;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Lora;

/// <summary>PEFT's LoRA semantics: initialisation, scaling, per-module ranks and alphas, target selection, dropout.</summary>
public class LoraSemanticsTests
{
    private static (double Min, double Max, double Std, double Mean) Stats(Tensor t)
    {
        using var f = t.detach().to(ScalarType.Float64);
        using var min = f.min();
        using var max = f.max();
        using var std = f.std();
        using var mean = f.mean();
        return (min.item<double>(), max.item<double>(), std.item<double>(), mean.item<double>());
    }

    [Fact]
    public void Kaiming_init_draws_A_uniformly_within_one_over_root_fan_in_and_zeroes_B()
    {
        using var generator = new Generator(7);
        using var lora = new LoraLinear(inFeatures: 300, outFeatures: 20, rank: 64, scale: 1, generator: generator);
        double bound = 1 / Math.Sqrt(300);               // kaiming_uniform(a = √5): gain √(1/3) · √(3 / fan_in)
        var (min, max, std, _) = Stats(lora.A);
        Assert.InRange(min, -bound, -0.95 * bound);
        Assert.InRange(max, 0.95 * bound, bound);
        Assert.InRange(std, 0.9 * bound / Math.Sqrt(3), 1.1 * bound / Math.Sqrt(3));
        Assert.Equal((0.0, 0.0), (Stats(lora.B).Min, Stats(lora.B).Max));
    }

    [Fact]
    public void Gaussian_init_draws_A_with_std_one_over_r()
    {
        using var generator = new Generator(7);
        using var lora = new LoraLinear(inFeatures: 300, outFeatures: 20, rank: 8, scale: 1, init: LoraInit.Gaussian, generator: generator);
        var (_, _, std, mean) = Stats(lora.A);
        Assert.InRange(std, 0.9 / 8, 1.1 / 8);
        Assert.InRange(mean, -0.01, 0.01);
        Assert.Equal((0.0, 0.0), (Stats(lora.B).Min, Stats(lora.B).Max));
    }

    [Theory]
    [InlineData(false, 16, 32, 2.0)]   // alpha / r
    [InlineData(true, 16, 32, 8.0)]    // rsLoRA: alpha / √r
    [InlineData(false, 4, 8, 2.0)]
    [InlineData(true, 4, 8, 4.0)]
    public void The_scale_is_alpha_over_r_or_over_root_r_with_rslora_and_multiplies_BAx(bool rsLora, int rank, double alpha, double scale)
    {
        var config = new LoraConfig { Rank = rank, Alpha = alpha, UseRsLora = rsLora, TargetModules = ModuleSelector.Of("proj") };
        Assert.Equal(scale, config.ScaleFor("proj"), 12);

        using var generator = new Generator(3);
        using var host = new AdaptableLinear(12, 10, hasBias: true);
        host.ResetParameters(generator);
        var lora = new LoraLinear(12, 10, rank, config.ScaleFor("proj"), init: LoraInit.Random, generator: generator);
        host.Adapters.Add("default", lora);
        using var _ = no_grad();
        using var x = randn(new long[] { 2, 5, 12 }, generator: generator);
        using var y = host.Forward(x);
        using var expected = nn.functional.linear(x, host.Weight, host.Bias) + scale * x.matmul(lora.A.t()).matmul(lora.B.t());
        TensorAssert.Close(y, expected, 1e-6, "W x + b + s·B·A·x");
    }

    [Fact]
    public void Rank_and_alpha_patterns_match_the_end_of_module_names_as_peft_does()
    {
        using var model = AdapterCases.Model();
        var config = AdapterCases.Lora() with
        {
            RankPattern = new Dictionary<string, int> { ["v_proj"] = 2, [@"layers\.1\.self_attn\.q_proj"] = 3, ["proj"] = 7 },
            AlphaPattern = new Dictionary<string, double> { ["v_proj"] = 16 },
        };
        var attached = LoraAttacher.Attach(model, "llm", config);
        var ranks = attached.ToDictionary(a => a.Key, a => (((LoraLinear)a.Value).Rank, ((LoraLinear)a.Value).Scale));
        Assert.Equal(new Dictionary<string, (int, double)>
        {
            ["model.layers.0.self_attn.q_proj"] = (4, 2.0),   // r and alpha / r; 'proj' matches only a whole last name
            ["model.layers.0.self_attn.v_proj"] = (2, 8.0),   // 16 / 2
            ["model.layers.1.self_attn.q_proj"] = (3, 8.0 / 3),
            ["model.layers.1.self_attn.v_proj"] = (2, 8.0),
        }, ranks);
        Assert.Equal([2, 48], ((LoraLinear)attached["model.layers.0.self_attn.v_proj"]).A.shape);
    }

    [Fact]
    public void A_pattern_key_with_alternatives_must_match_a_whole_name()
    {
        // PEFT: re.match(rf"(.*\.)?({key})$", name): "v|q_proj" means "v" or "q_proj", so v_proj keeps r.
        var config = AdapterCases.Lora() with { RankPattern = new Dictionary<string, int> { ["v|q_proj"] = 2 } };
        Assert.Equal(2, config.RankFor("model.layers.0.self_attn.q_proj"));
        Assert.Equal(4, config.RankFor("model.layers.0.self_attn.v_proj"));
        Assert.Equal(2, config.RankFor("model.layers.0.self_attn.v"));
    }

    public static TheoryData<string, LoraConfig, string[]> Selections => new()
    {
        { "layers_to_transform [1]", AdapterCases.Lora() with { LayersToTransform = [1] },
            ["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"] },
        { "exclude_modules names", new LoraConfig { TargetModules = ModuleSelector.AllLinearLayers, ExcludeModules = ModuleSelector.Of("mlp.up_proj", "mlp.gate_proj", "down_proj", "o_proj", "k_proj") },
            ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"] },
        { "exclude_modules regex", AdapterCases.Lora() with { ExcludeModules = ModuleSelector.Regex(@".*\.0\..*") },
            ["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"] },
        { "regex target (full match)", new LoraConfig { TargetModules = ModuleSelector.Regex(@".*\.1\.self_attn\.(q|v)_proj") },
            ["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"] },
        { "embedding by name", new LoraConfig { TargetModules = ModuleSelector.Of("embed_tokens", "lm_head") },
            ["lm_head", "model.embed_tokens"] },
    };

    [Theory, MemberData(nameof(Selections))]
    public void Target_selection_follows_peft(string what, LoraConfig config, string[] expected)
    {
        using var model = AdapterCases.Model();
        var attached = LoraAttacher.Attach(model, "llm", config);
        Assert.True(expected.SequenceEqual(attached.Keys), $"{what}: {string.Join(", ", attached.Keys)}");
    }

    [Fact]
    public void All_linear_adapts_every_linear_projection_but_the_lm_head()
    {
        using var model = AdapterCases.Model();
        var attached = LoraAttacher.Attach(model, "llm", new LoraConfig { TargetModules = ModuleSelector.AllLinearLayers });
        Assert.Equal(14, attached.Count);            // 2 layers × (q, k, v, o, gate, up, down)
        Assert.DoesNotContain("lm_head", attached.Keys);
        Assert.DoesNotContain("model.embed_tokens", attached.Keys);
        Assert.All(attached.Values, a => Assert.IsType<LoraLinear>(a));
    }

    [Fact]
    public void A_regex_target_must_match_the_whole_name()
    {
        using var model = AdapterCases.Model();
        var e = Assert.Throws<ArgumentException>(() => LoraAttacher.Attach(model, "llm", new LoraConfig { TargetModules = ModuleSelector.Regex("q_proj") }));
        Assert.Contains("llm: target 'q_proj' selects no adaptable module; names that exist:", e.Message);
    }

    [Fact]
    public void Dropout_applies_in_training_mode_only()
    {
        using var model = AdapterCases.Model();
        using var reference = AdapterCases.Model();
        using var ids = AdapterCases.InputIds();
        var random = AdapterCases.Lora() with { InitLoraWeights = AdapterCases.Json("false") };     // B ≠ 0: the adapter path counts
        LoraAttacher.Attach(model, "llm", random with { Dropout = 0.5 }, seed: 5);
        LoraAttacher.Attach(reference, "llm", random, seed: 5);                                     // same weights, no dropout
        using var expected = AdapterCases.Logits(reference, ids);

        model.train();
        using var first = AdapterCases.Logits(model, ids);
        using var second = AdapterCases.Logits(model, ids);
        Assert.False(AdapterCases.Same(first, second), "training: two passes should drop different inputs");
        Assert.True(TensorAssert.RelativeError(first, expected) > 1e-4);

        model.eval();
        using var evaluated = AdapterCases.Logits(model, ids);
        Assert.True(AdapterCases.Same(evaluated, expected), "eval: no dropout");
    }
}
