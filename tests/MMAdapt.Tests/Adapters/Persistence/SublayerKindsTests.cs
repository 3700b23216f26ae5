using System.Text.Json.Nodes;
using MMAdapt.Adapters.Bottleneck;
using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Pill;
using MMAdapt.Adapters.Persistence;
using MMAdapt.Adapters.Routing;
using MMAdapt.Adapters.SoftMoa;
using MMAdapt.Adapters.Sublayers;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Modules;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Persistence;

/// <summary>Bottleneck adapters, Soft-MoA, Dense-MoA, PILL's MoMAE and MAG through <c>mmadapt_config.json</c>: saved from a
/// perturbed model and loaded into a fresh one, they give bit-identical outputs and keep their settings.</summary>
public class SublayerKindsTests
{
    public static TheoryData<string, string[]?, int, bool> BottleneckPlacements => new()
    {
        // placement, sublayers, adapters (2 layers), parallel
        { "houlsby", null, 4, false },
        { "pfeiffer", null, 2, false },
        { "parallel", new[] { "attention", "mlp" }, 4, true },
    };

    [Theory, MemberData(nameof(BottleneckPlacements))]
    public void Bottleneck_adapters_in_every_placement_load_back_exactly(string placement, string[]? sublayers, int count, bool parallel)
    {
        using var r = new SavedAndLoaded(SavedAndLoaded.Llama, "llm", m => BottleneckAttacher.Attach(m, "llm",
            new BottleneckOptions { Bottleneck = 8, Activation = "gelu", Scaling = 2.0, Placement = placement, Sublayers = sublayers }, seed: 1),
            SavedAndLoaded.LlamaLogits);

        Assert.Equal(count * 4, r.Perturbed); // down, down bias, up, up bias
        Assert.Equal((count, count), (r.Saved, r.Loaded));
        Assert.Equal("{\"bottleneck\":8,\"activation\":\"gelu\",\"scaling\":2,\"parallel\":" + (parallel ? "true" : "false") + "}",
                     r.Config["modules"]![0]!["settings"]!.ToJsonString());
        Assert.True(TensorAssert.RelativeError(r.Expected, r.Base) > 1e-3, "the perturbed adapters change the logits");
        Assert.True(r.BitIdentical, "reloaded bottleneck adapters give bit-identical logits");
        var reloaded = SavedAndLoaded.Adapters(r.Reloaded);
        Assert.Equal(count, reloaded.Count);
        Assert.All(reloaded, a => Assert.Equal(new BottleneckSettings(8, AdapterActivation.Gelu, 2.0, parallel), ((BottleneckAdapter)a.Adapter).Settings));
        var (original, loaded) = r.Listings();
        Assert.Equal(original, loaded);
    }

    public static TheoryData<string, string, string[]?, bool> Mixtures => new()
    {
        // mixing, placement, sublayers, normalize
        { "soft", "parallel", new[] { "attention", "mlp" }, true },
        { "soft", "houlsby", null, false },
        { "dense", "parallel", new[] { "attention", "mlp" }, false },
    };

    [Theory, MemberData(nameof(Mixtures))]
    public void Soft_and_dense_mixtures_on_the_ast_fixture_load_back_exactly(string mixing, string placement, string[]? sublayers, bool normalize)
    {
        var options = new MoaOptions
        {
            Mixing = mixing, Experts = 3, Slots = mixing == "soft" ? 2 : 1, Bottleneck = 8, Activation = "relu", Scaling = 1.5,
            Normalize = normalize, Placement = placement, Sublayers = sublayers,
        };
        using var r = new SavedAndLoaded(SavedAndLoaded.Ast, "audio", m => MoaAttacher.Attach(m, "audio", options, seed: 2), SavedAndLoaded.AstHidden);

        Assert.Equal((4, 4), (r.Saved, r.Loaded)); // 2 layers × attention and MLP sites
        Assert.Equal(mixing == "soft" ? "soft_moa" : "dense_moa", r.Config["modules"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal("audio_spectrogram_transformer.encoder.layer.0.attention_site", r.Config["modules"]![0]!["path"]!.GetValue<string>());
        Assert.True(TensorAssert.RelativeError(r.Expected, r.Base) > 1e-3, "the perturbed mixtures change the hidden states");
        Assert.True(r.BitIdentical, "reloaded mixtures give bit-identical hidden states");
        var first = SavedAndLoaded.Adapters(r.Reloaded)[0].Adapter;
        if (mixing == "soft")
            Assert.Equal(new SoftMoaSettings(3, 2, 8, AdapterActivation.Relu, 1.5, normalize, placement == "parallel"), ((SoftMixtureOfAdapters)first).Settings);
        else
            Assert.Equal(new DenseMoaSettings(3, 8, AdapterActivation.Relu, 1.5, Parallel: true), ((DenseMixtureOfAdapters)first).Settings);
        var (original, loaded) = r.Listings();
        Assert.Equal(original, loaded);
    }

    [Fact]
    public void Modality_adapter_experts_load_back_exactly_on_a_text_and_image_batch()
    {
        using var r = new SavedAndLoaded(SavedAndLoaded.Llama, "llm", m => PillAttacher.AttachExperts(m, "llm",
            new MomaeOptions { Bottleneck = 8, Modalities = ["image", "text"], GateActivation = "sigmoid", Sublayers = ["attention", "mlp"] }, seed: 3),
            SavedAndLoaded.LlamaLogits);

        Assert.Equal(4 * 2 * 3, r.Perturbed); // sites × experts × (down, gate, up)
        Assert.Equal((4, 4), (r.Saved, r.Loaded));
        Assert.Equal("{\"bottleneck\":8,\"modalities\":[\"image\",\"text\"],\"gate_activation\":\"sigmoid\"}",
                     r.Config["modules"]![0]!["settings"]!.ToJsonString());
        Assert.True(TensorAssert.RelativeError(r.Expected, r.Base) > 1e-3, "the perturbed experts change the logits");
        Assert.True(r.BitIdentical, "reloaded MoMAE gives bit-identical logits");
        var experts = (ModalityAdapterExperts)SavedAndLoaded.Adapters(r.Reloaded)[0].Adapter;
        Assert.Equal(new MomaeSettings(8, [Modality.Image, Modality.Text], AdapterActivation.Sigmoid), experts.Settings);
        var (original, loaded) = r.Listings();
        Assert.Equal(original, loaded);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void Modality_attention_gates_load_back_exactly_switched_on_or_off(bool residual, bool enabled)
    {
        using var r = new SavedAndLoaded(SavedAndLoaded.Llama, "llm", m => PillAttacher.AttachGates(m, "llm",
            new MagOptions { Heads = 2, Modalities = ["image"], Residual = residual, Enabled = enabled }), SavedAndLoaded.LlamaLogits);

        Assert.Equal((2, 2), (r.Saved, r.Loaded));
        Assert.Equal("model.layers.0.self_attn.v_proj", r.Config["modules"]![0]!["path"]!.GetValue<string>());
        Assert.Equal($"{{\"heads\":2,\"modalities\":[\"image\"],\"residual\":{Json(residual)},\"enabled\":{Json(enabled)}}}",
                     r.Config["modules"]![0]!["settings"]!.ToJsonString());
        Assert.Equal(enabled, TensorAssert.RelativeError(r.Expected, r.Base) > 1e-3); // a switched-off gate leaves the logits alone
        Assert.True(r.BitIdentical, "reloaded gates give bit-identical logits");
        var gates = SavedAndLoaded.Adapters(r.Reloaded).Select(a => (ModalityAttentionGate)a.Adapter).ToList();
        Assert.All(gates, g => Assert.Equal(new MagSettings(2, [Modality.Image], residual), g.Settings));
        Assert.All(gates, g => Assert.Equal(enabled, g.Enabled));
        Assert.All(gates, g => Assert.True(g.GateProjection.abs().max().item<float>() > 0, "the gate was loaded, not left at zero"));
    }

    [Fact]
    public void A_model_mixing_lora_mixtures_momae_and_mag_loads_back_exactly_in_attachment_order()
    {
        using var r = new SavedAndLoaded(SavedAndLoaded.Llama, "llm", m =>
        {
            // v_proj carries a mixture and then a gate: the reloaded order must be the same for the same logits.
            MixtureAttacher.Attach(m, "llm", new TargetSelection { Targets = ModuleSelector.Of("v_proj", "up_proj") }, new MixtureOptions
            {
                Experts = 4, Rank = 2, Strategy = RoutingStrategies.Parse("topk_softmax:k=2"), ModalityGroups = [(Modality.Text, 2), (Modality.Image, 2)],
            }, seed: 4);
            PillAttacher.AttachGates(m, "llm", new MagOptions { Heads = 2, Residual = true });
            PillAttacher.AttachExperts(m, "llm", new MomaeOptions { Bottleneck = 4 }, seed: 5);
        }, SavedAndLoaded.LlamaLogits);

        Assert.Equal((8, 8), (r.Saved, r.Loaded)); // 4 mixtures, 2 gates, 2 MoMAE; a layer lists its sites before its projections
        Assert.Equal(["momae", "lora_mixture", "mag", "lora_mixture"], r.Config["modules"]!.AsArray().Take(4).Select(e => e!["kind"]!.GetValue<string>()));
        Assert.True(TensorAssert.RelativeError(r.Expected, r.Base) > 1e-3, "the perturbed adapters change the logits");
        Assert.True(r.BitIdentical, "reloaded mixed adapters give bit-identical logits");
        var (original, loaded) = r.Listings();
        Assert.Equal(original, loaded);
        Assert.Equal(8, loaded.Count);
    }

    [Fact]
    public void Settings_built_in_code_with_whole_numbers_create_the_adapter_they_describe()
    {
        using var model = SavedAndLoaded.Llama();
        var site = SublayerSites.Target(model, "llm", "model.layers.1.mlp_site");
        Assert.Equal((48L, ScalarType.Float32), (site.Hidden, site.Dtype));
        var kind = AdapterKinds.Named("bottleneck_adapter", "test");
        var settings = new JsonObject { ["bottleneck"] = 4, ["activation"] = "relu", ["scaling"] = 3, ["parallel"] = true }; // ints, not longs and doubles
        using var adapter = (BottleneckAdapter)kind.Create(settings, new AdapterPlacement(null, site), "test");
        Assert.Equal(new BottleneckSettings(4, AdapterActivation.Relu, 3.0, true), adapter.Settings);
        Assert.Equal([4L, 48L], adapter.DownProjection.shape);
        Assert.Equal("{\"bottleneck\":4,\"activation\":\"relu\",\"scaling\":3,\"parallel\":true}", kind.Describe(adapter).ToJsonString());
    }

    private static string Json(bool value) => value ? "true" : "false";
}
