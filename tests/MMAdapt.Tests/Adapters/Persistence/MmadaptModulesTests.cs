using System.Text.Json.Nodes;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Persistence;
using MMAdapt.Adapters.Routing;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Persistence;

public class MmadaptModulesTests
{
    private static readonly MixtureOptions Rich = new()
    {
        Experts = 4, Rank = 2, Alpha = 4, SharedExperts = 1, UniversalWeight = 0.6,
        Strategy = RoutingStrategies.Parse("topk_softmax:k=2"),
        Router = new RouterOptions { Temperature = 0.7 },
        AuxLosses = [AuxLosses.Parse("load_balance:coef=0.01"), AuxLosses.Parse("z_loss:coef=0.001")],
        ModalityGroups = [(Modality.Text, 2), (Modality.Image, 2)],
    };

    private static LlamaForCausalLM ModelWithMixtures()
    {
        var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        MixtureAttacher.Attach(model, "llm", new TargetSelection { Targets = ModuleSelector.Of("q_proj", "down_proj") }, Rich, seed: 3);
        MixtureAttacher.Attach(model, "llm", new TargetSelection { Targets = ModuleSelector.Of("v_proj") },
            new MixtureOptions { Experts = 3, Kind = ExpertKind.Ia3Vector, Strategy = RoutingStrategies.Parse("dense"), Input = new RouterInput.SampleKey("instruction", 48) },
            adapterName: "mov", seed: 4);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.Contains(".adapters.", StringComparison.Ordinal))
                    p.add_(randn_like(p) * 0.05);
        return model;
    }

    private static Tensor Run(LlamaForCausalLM model)
    {
        using var ids = FixturePaths.Expected("llama", "input_ids");
        using var modality = tensor(new long[,] { { 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0 }, { 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 } });
        using var key = randn([2, 48], generator: new Generator(1));
        using var _ = no_grad();
        return model.Forward(new DecoderInput
        {
            InputIds = ids,
            Context = new ForwardContext { TokenModality = modality, SampleKeys = new Dictionary<string, Tensor> { ["instruction"] = key } },
        }).Logits;
    }

    [Fact]
    public void Mixtures_save_and_load_back_exactly()
    {
        using var temp = new TempFolder();
        using var original = ModelWithMixtures();
        using var expected = Run(original);
        Assert.Equal(6, MmadaptModules.Save([("llm", original)], temp.Path));

        using var written = SafetensorsFile.Open(temp.File("mmadapt_modules.safetensors"));
        Assert.Contains("llm.model.layers.0.self_attn.q_proj.adapters.default.lora_A".Replace("default", "moe"), written.Tensors.Select(t => t.Name));
        Assert.Contains("llm.model.layers.1.self_attn.v_proj.adapters.mov.ia3_vectors", written.Tensors.Select(t => t.Name));

        using var reloaded = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        Assert.Equal(6, MmadaptModules.Load([("llm", reloaded)], temp.Path));
        using var actual = Run(reloaded);
        Assert.True(actual.eq(expected).all().item<bool>(), "reloaded mixtures give bit-identical logits");
        var mixture = (LoraMixture)reloaded.Model.Layers[1].named_modules().First(m => m.name == "mlp.down_proj.adapters.moe").module;
        Assert.Equal(Rich.Strategy, mixture.Options.Strategy);
        Assert.Equal(Rich.AuxLosses, mixture.Options.AuxLosses);
        Assert.Equal(Rich.ModalityGroups, mixture.Options.ModalityGroups);
        Assert.Equal("llm.model.layers.1.mlp.down_proj", mixture.LayerName);
    }

    [Fact]
    public void A_model_without_such_adapters_writes_nothing()
    {
        using var temp = new TempFolder();
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        Assert.Equal(0, MmadaptModules.Save([("llm", model)], temp.Path));
        Assert.False(File.Exists(temp.File("mmadapt_config.json")));
        Assert.Equal(0, MmadaptModules.Load([("llm", model)], temp.Path));
    }

    [Theory]
    [InlineData("kind", "\"mystery\"", "adapter kind 'mystery' is not known; known: lora_mixture, bottleneck_adapter, soft_moa, dense_moa, momae, mag.")]
    [InlineData("path", "\"model.layers.9.self_attn.q_proj\"", "the model has no module 'model.layers.9.self_attn.q_proj'")]
    [InlineData("component", "\"vision\"", "component 'vision' is not part of this model (present: llm)")]
    public void Bad_configs_name_what_is_wrong(string key, string value, string expected)
    {
        using var temp = new TempFolder();
        using (var original = ModelWithMixtures())
            MmadaptModules.Save([("llm", original)], temp.Path);
        var config = JsonNode.Parse(File.ReadAllText(temp.File("mmadapt_config.json")))!;
        config["modules"]![0]![key] = JsonNode.Parse(value);
        File.WriteAllText(temp.File("mmadapt_config.json"), config.ToJsonString());
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        var e = Assert.Throws<InvalidDataException>(() => MmadaptModules.Load([("llm", model)], temp.Path));
        Assert.Contains(expected, e.Message);
        Assert.Contains("mmadapt_config.json", e.Message);
    }

    [Fact]
    public void Settings_that_change_shapes_are_caught_by_tensor()
    {
        using var temp = new TempFolder();
        using (var original = ModelWithMixtures())
            MmadaptModules.Save([("llm", original)], temp.Path);
        var config = JsonNode.Parse(File.ReadAllText(temp.File("mmadapt_config.json")))!;
        config["modules"]![0]!["settings"]!["rank"] = 3;
        File.WriteAllText(temp.File("mmadapt_config.json"), config.ToJsonString());
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        var e = Assert.Throws<CheckpointException>(() => MmadaptModules.Load([("llm", model)], temp.Path));
        Assert.Contains("lora_A: checkpoint [4,2,48], model expects [4,3,48]", e.Message);

        config["modules"]![0]!["settings"]!["rank"] = 2;
        config["modules"]![0]!["settings"]!["expertz"] = 2;
        File.WriteAllText(temp.File("mmadapt_config.json"), config.ToJsonString());
        var unknown = Assert.Throws<InvalidDataException>(() => MmadaptModules.Load([("llm", model)], temp.Path));
        Assert.Contains("unknown mixture option 'expertz'", unknown.Message);
    }
}
