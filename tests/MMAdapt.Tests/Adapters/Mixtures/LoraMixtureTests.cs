using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Routing;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Adapters.Training;
using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Mixtures;

public class LoraMixtureTests
{
    public static TheoryData<string> Strategies => new()
    {
        "softmax_topk:k=2,renorm=true", "softmax_topk:k=2,renorm=false", "topk_softmax:k=2", "noisy_topk:k=2",
        "top_p:p=0.7", "top_any", "relu", "expert_choice:cf=1", "dense",
    };

    /// <summary>A projection with a mixture whose B is random (so the experts contribute).</summary>
    private static (AdaptableLinear Linear, LoraMixture Mixture) Projection(MixtureOptions options, int seed = 0)
    {
        var linear = new AdaptableLinear(24, 20);
        var g = new Generator((ulong)seed + 100);
        using (no_grad()) linear.Weight.normal_(0, 0.2, g);
        var mixture = new LoraMixture(24, 20, options, generator: new Generator((ulong)seed));
        using (no_grad())
            foreach (var (name, p) in mixture.named_parameters())
                if (name.EndsWith("_B", StringComparison.Ordinal))
                    p.normal_(0, 0.3, g);
        linear.Adapters.Add("moe", mixture);
        return (linear, mixture);
    }

    private static Dictionary<string, Tensor> Gradients(nn.Module module) =>
        module.named_parameters().Where(p => p.parameter.grad is not null).ToDictionary(p => p.name, p => p.parameter.grad!.clone());

    [Theory, MemberData(nameof(Strategies))]
    public void Fused_and_loop_agree_on_outputs_and_gradients(string strategy)
    {
        var options = new MixtureOptions { Experts = 4, Rank = 3, Strategy = RoutingStrategies.Parse(strategy), SharedExperts = 1 };
        var (linear, mixture) = Projection(options);
        linear.train(strategy == "expert_choice:cf=1"); // expert choice is a training-time router
        if (strategy.StartsWith("noisy", StringComparison.Ordinal)) linear.eval();              // no noise: both runs see the same logits
        using var x = randn([2, 8, 24], generator: new Generator(7));

        Tensor Run(MixtureComputation computation)
        {
            mixture.Computation = computation;
            linear.zero_grad();
            using var input = x.clone().requires_grad_(true);
            var y = linear.Forward(input);
            using var weights = randn(y.shape, generator: new Generator(9));
            (y * weights).sum().backward();
            return y.detach();
        }

        using var fused = Run(MixtureComputation.Fused);
        var fusedGrads = Gradients(linear);
        using var loop = Run(MixtureComputation.Loop);
        var loopGrads = Gradients(linear);
        TensorAssert.Close(fused, loop, 1e-5, $"{strategy} outputs");
        Assert.Equal(fusedGrads.Keys.Order(), loopGrads.Keys.Order());
        foreach (var (name, grad) in fusedGrads)
            if (grad.abs().sum().item<float>() > 0)
                TensorAssert.Close(grad, loopGrads[name], 1e-5, $"{strategy} gradient of {name}");
    }

    [Theory, MemberData(nameof(Strategies))]
    public void Model_output_is_unchanged_at_initialisation(string strategy)
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        using var ids = FixturePaths.Expected("llama", "input_ids");
        using var expected = FixturePaths.Expected("llama", "logits");
        MixtureAttacher.Attach(model, "llm", new TargetSelection { Targets = ModuleSelector.AllLinearLayers },
            new MixtureOptions { Experts = 4, Rank = 2, Strategy = RoutingStrategies.Parse(strategy), SharedExperts = 1, UniversalWeight = 0.8 });
        using var _ = no_grad();
        using var logits = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        TensorAssert.Close(logits, expected, 1e-6, "with zero-initialised experts");
    }

    [Fact]
    public void One_optimizer_step_changes_every_trainable_tensor_and_no_frozen_one()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        var mixtures = MixtureAttacher.Attach(model, "llm", new TargetSelection { Targets = ModuleSelector.Of("q_proj", "v_proj", "down_proj") },
            new MixtureOptions
            {
                Experts = 4, Rank = 2, SharedExperts = 1, UniversalWeight = 0.7,
                AuxLosses = [AuxLosses.Parse("load_balance:coef=0.01"), AuxLosses.Parse("z_loss:coef=0.001")],
            });
        Trainability.FreezeAll(model);
        Trainability.UnfreezeAdapters(model);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var frozen = model.named_parameters().Where(p => !p.parameter.requires_grad).ToDictionary(p => p.name, p => p.parameter.detach().clone());
        Assert.Equal(3 * 2 * 7, trainable.Count); // per projection: lora_A, lora_B, shared_A, shared_B, universal_A, universal_B, router.weight

        using var ids = FixturePaths.Expected("llama", "input_ids");
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), lr: 1e-2, weight_decay: 0);
        model.train();
        // Step 1: B starts at zero, so only B, the shared/universal B and the router (through the aux losses) can move;
        // A's gradient is exactly zero, as in LoRA. Step 2: with B non-zero, every trainable tensor gets a gradient.
        for (int step = 0; step < 2; step++)
        {
            optimizer.zero_grad();
            var forward = new ForwardContext { Training = true };
            using var context = forward.Sink;
            var logits = model.Forward(new DecoderInput { InputIds = ids, Context = forward }).Logits;
            var loss = nn.functional.cross_entropy(logits.narrow(1, 0, 10).reshape(-1, 96), ids.narrow(1, 1, 10).reshape(-1));
            Assert.Equal(2 * 3 * 2, context.Losses.Count);
            Assert.Contains(context.Losses, l => l.Name == "llm.model.layers.1.mlp.down_proj/load_balance");
            (loss + context.TotalLoss()!).backward();
            if (step == 0)
                Assert.All(trainable.Keys.Where(k => k.EndsWith("lora_A", StringComparison.Ordinal)),
                    k => Assert.Equal(0f, model.get_parameter(k)!.grad!.abs().max().item<float>()));
            else
                Assert.All(trainable.Keys, k => Assert.True(model.get_parameter(k)!.grad!.abs().max().item<float>() > 0, $"{k} has no gradient"));
            optimizer.step();
        }
        foreach (var (name, before) in trainable)
            Assert.False(before.eq(model.get_parameter(name)!).all().item<bool>(), $"{name} did not change");
        foreach (var (name, before) in frozen)
            Assert.True(before.eq(model.get_parameter(name)!).all().item<bool>(), $"frozen {name} changed");
        Assert.Equal(6, mixtures.Count);
    }

    [Fact]
    public void Null_experts_take_gate_mass_without_output()
    {
        var options = new MixtureOptions { Experts = 2, Rank = 2, NullExperts = 2, Strategy = RoutingStrategies.Parse("softmax_topk:k=2,renorm=true") };
        var (linear, mixture) = Projection(options);
        linear.eval();
        mixture.KeepLastDecision = true;
        using var x = randn([1, 16, 24], generator: new Generator(3));
        using var _ = no_grad();
        using var y = linear.Forward(x);
        var gates = mixture.LastDecision!.Gates;
        Assert.Equal(new long[] { 16, 4 }, gates.shape);
        // Some tokens picked a null expert, so their real gates sum to less than 1.
        using var realMass = gates.narrow(1, 0, 2).sum(1);
        Assert.True(realMass.lt(0.999f).any().item<bool>());
        // The output uses only the real experts' gates: recompute it by hand.
        using var down = x.reshape(16, 24).matmul(mixture.get_parameter("lora_A")!.view(4, 24).t()).view(16, 2, 2);
        using var mixed = (down * gates.narrow(1, 0, 2).unsqueeze(-1)).view(16, 4);
        using var manual = nn.functional.linear(x.reshape(16, 24), linear.Weight) + nn.functional.linear(mixed, mixture.get_parameter("lora_B")!.view(20, 4)) * options.Scale;
        TensorAssert.Close(y.reshape(16, 20), manual, 1e-6, "null experts output nothing");
    }

    [Fact]
    public void Modality_groups_keep_tokens_inside_their_group()
    {
        var options = new MixtureOptions
        {
            Experts = 4, Rank = 2, Strategy = RoutingStrategies.Parse("softmax_topk:k=1,renorm=true"),
            ModalityGroups = [(Modality.Text, 2), (Modality.Image, 2)],
        };
        var (linear, mixture) = Projection(options);
        mixture.KeepLastDecision = true;
        using var x = randn([2, 6, 24], generator: new Generator(4));
        using var modality = tensor(new long[,] { { 0, 0, 1, 1, 1, 0 }, { 1, 1, 0, 2, 0, 0 } });
        using var _ = no_grad();
        linear.Forward(x, new ForwardContext { TokenModality = modality });
        var gates = mixture.LastDecision!.Gates;
        var flat = TensorAssert.Longs(modality);
        for (int t = 0; t < 12; t++)
        {
            using var row = gates[t];
            var g = row.data<float>().ToArray();
            if (flat[t] == 0) Assert.True(g[2] == 0 && g[3] == 0, $"text token {t} used an image expert");
            if (flat[t] == 1) Assert.True(g[0] == 0 && g[1] == 0, $"image token {t} used a text expert");
            Assert.Equal(1f, g.Sum(), 5); // audio (no group) may use any expert
        }
    }

    [Fact]
    public void Sample_level_routing_gives_every_token_of_a_sample_the_same_gates()
    {
        var options = new MixtureOptions
        {
            Experts = 4, Rank = 2, Strategy = RoutingStrategies.Parse("softmax_topk:k=2,renorm=true"),
            Input = new RouterInput.SampleKey("instruction", 24, LayerNorm: true),
        };
        var (linear, mixture) = Projection(options);
        mixture.KeepLastDecision = true;
        using var x = randn([3, 5, 24], generator: new Generator(5));
        using var key = randn([3, 24], generator: new Generator(6));
        using var _ = no_grad();
        using var y = linear.Forward(x, new ForwardContext { SampleKeys = new Dictionary<string, Tensor> { ["instruction"] = key } });
        Assert.Equal(new long[] { 3, 4 }, mixture.LastDecision!.Gates.shape);
        var missing = Assert.Throws<ArgumentException>(() => linear.Forward(x, new ForwardContext()));
        Assert.Contains("needs the per-sample key 'instruction'", missing.Message);

        // Each sample's tokens equal running them alone with that sample's key.
        for (int b = 0; b < 3; b++)
        {
            using var alone = linear.Forward(x.narrow(0, b, 1), new ForwardContext { SampleKeys = new Dictionary<string, Tensor> { ["instruction"] = key.narrow(0, b, 1) } });
            TensorAssert.Close(alone, y.narrow(0, b, 1), 1e-6, $"sample {b}");
        }
    }

    [Fact]
    public void Cluster_id_routing_uses_a_learned_table()
    {
        var options = new MixtureOptions { Experts = 3, Rank = 2, Strategy = RoutingStrategies.Parse("dense"), Input = new RouterInput.ClusterId("cluster", 5) };
        var (linear, mixture) = Projection(options);
        Assert.Null(mixture.Router);
        Assert.Equal(new long[] { 5, 3 }, mixture.get_parameter("cluster_logits")!.shape);
        using var x = randn([2, 4, 24], generator: new Generator(8));
        using var clusters = tensor(new long[] { 3, 3 });
        using var _ = no_grad();
        using var y = linear.Forward(x, new ForwardContext { SampleKeys = new Dictionary<string, Tensor> { ["cluster"] = clusters } });
        using var first = linear.Forward(x.narrow(0, 0, 1), new ForwardContext { SampleKeys = new Dictionary<string, Tensor> { ["cluster"] = clusters.narrow(0, 0, 1) } });
        TensorAssert.Close(first, y.narrow(0, 0, 1), 1e-6, "same cluster, same gates");
    }

    [Fact]
    public void Universal_expert_is_blended_with_its_weight()
    {
        var options = new MixtureOptions { Experts = 2, Rank = 2, Strategy = RoutingStrategies.Parse("dense"), UniversalWeight = 0.75 };
        var (linear, mixture) = Projection(options);
        mixture.KeepLastDecision = true;
        using var x = randn([1, 4, 24], generator: new Generator(11));
        using var _ = no_grad();
        using var y = linear.Forward(x);
        var flat = x.reshape(4, 24);
        var gates = mixture.LastDecision!.Gates;                                                     // [4, 2]
        using var down = flat.matmul(mixture.get_parameter("lora_A")!.view(4, 24).t()).view(4, 2, 2);
        using var experts = nn.functional.linear((down * gates.unsqueeze(-1)).view(4, 4), mixture.get_parameter("lora_B")!.view(20, 4));
        using var universal = nn.functional.linear(nn.functional.linear(flat, mixture.get_parameter("universal_A")!), mixture.get_parameter("universal_B")!);
        using var expected = nn.functional.linear(flat, linear.Weight) + (experts * 0.75 + universal * 0.25) * options.Scale;
        TensorAssert.Close(y.reshape(4, 20), expected, 1e-6, "w·experts + (1 − w)·universal");
    }

    [Fact]
    public void Mov_scales_the_output_by_the_gated_sum_of_vectors()
    {
        var options = new MixtureOptions { Experts = 3, Kind = ExpertKind.Ia3Vector, Strategy = RoutingStrategies.Parse("dense") };
        var linear = new AdaptableLinear(24, 20);
        using (no_grad()) linear.Weight.normal_(0, 0.2);
        var mixture = new LoraMixture(24, 20, options) { KeepLastDecision = true };
        linear.Adapters.Add("mov", mixture);
        using var x = randn([2, 3, 24], generator: new Generator(12));
        using var _ = no_grad();
        using var baseOut = nn.functional.linear(x, linear.Weight);
        using var initial = linear.Forward(x);
        TensorAssert.Close(initial, baseOut, 1e-6, "MoV is the identity at init (vectors of ones, gates summing to 1)");
        mixture.get_parameter("ia3_vectors")!.normal_(1, 0.1);
        using var y = linear.Forward(x);
        using var factor = mixture.LastDecision!.Gates.matmul(mixture.get_parameter("ia3_vectors")!).view(2, 3, 20);
        TensorAssert.Close(y, baseOut * factor, 1e-6, "MoV formula");
    }

    [Fact]
    public void Mola_gives_each_layer_group_its_expert_count()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        var mixtures = MixtureAttacher.Attach(model, "llm", new TargetSelection { Targets = ModuleSelector.Of("q_proj") },
            new MixtureOptions { Experts = 4, Rank = 2, Strategy = RoutingStrategies.Parse("softmax_topk:k=2,renorm=true") }, expertsPerLayerGroup: [2, 6]);
        Assert.Equal(2, mixtures["model.layers.0.self_attn.q_proj"].Options.Experts);
        Assert.Equal(6, mixtures["model.layers.1.self_attn.q_proj"].Options.Experts);
        var e = Assert.Throws<ArgumentException>(() => MixtureAttacher.Attach(model, "llm", new TargetSelection { Targets = ModuleSelector.Of("k_proj") },
            new MixtureOptions(), expertsPerLayerGroup: [2, 4, 6]));
        Assert.Contains("2 layers cannot be split into 3 equal groups", e.Message);
    }

    [Theory]
    [InlineData("k = 3", 2, 1, "softmax_topk:k=3")]
    [InlineData("experts must be positive", 0, 1, "dense")]
    [InlineData("rank must be positive", 2, 0, "dense")]
    public void Bad_settings_are_refused(string expected, int experts, int rank, string strategy)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new LoraMixture(8, 8, new MixtureOptions { Experts = experts, Rank = rank, Strategy = RoutingStrategies.Parse(strategy) }));
        Assert.Contains(expected, e.Message);
        var groups = Assert.Throws<ArgumentException>(() => new MixtureOptions { Experts = 4, ModalityGroups = [(Modality.Text, 1), (Modality.Image, 2)] }.Validate());
        Assert.Contains("split the 4 experts", groups.Message);
        var mixture = new LoraMixture(8, 8, new MixtureOptions { Experts = 2, Rank = 1, Strategy = RoutingStrategies.Parse("dense") });
        var misfit = Assert.Throws<ArgumentException>(() => new AdaptableLinear(8, 6).Adapters.Add("moe", mixture));
        Assert.Contains("a mixture for [8, 8] does not fit a projection of shape [6, 8]", misfit.Message);
    }

    [Fact]
    public void Routing_statistics_and_repeated_steps_leak_nothing()
    {
        using var statistics = new RoutingStatistics();
        var (linear, mixture) = Projection(new MixtureOptions { Experts = 4, Rank = 2, AuxLosses = [AuxLosses.Parse("load_balance:coef=0.01")] });
        mixture.Statistics = statistics;
        mixture.LayerName = "probe";
        linear.train();
        using var x = randn([2, 8, 24], generator: new Generator(13));
        void Step()
        {
            using var scope = NewDisposeScope();
            var context = new ForwardContext { Training = true };
            var y = linear.Forward(x, context);
            (y.square().mean() + context.Sink.TotalLoss()!).backward();
            context.Sink.Dispose();
            linear.zero_grad();
        }
        Step();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++) Step();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        var snapshot = statistics.Snapshot();
        Assert.NotNull(snapshot);
    }
}
