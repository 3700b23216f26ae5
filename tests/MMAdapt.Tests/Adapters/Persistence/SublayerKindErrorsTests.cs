using System.Text.Json.Nodes;
using MMAdapt.Adapters.Bottleneck;
using MMAdapt.Adapters.Persistence;
using MMAdapt.Adapters.Pill;
using MMAdapt.Adapters.SoftMoa;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Persistence;

/// <summary>Edited <c>mmadapt_config.json</c> entries of the sublayer kinds and MAG: what is wrong is named.</summary>
public class SublayerKindErrorsTests
{
    private static (Func<nn.Module> Fresh, string Component, Action<nn.Module> Attach) Setup(string kind) => kind switch
    {
        "bottleneck_adapter" => (SavedAndLoaded.Llama, "llm", m => BottleneckAttacher.Attach(m, "llm", new BottleneckOptions { Bottleneck = 8, Placement = "pfeiffer" })),
        "soft_moa" => (SavedAndLoaded.Ast, "audio", m => MoaAttacher.Attach(m, "audio", new MoaOptions { Experts = 3, Slots = 2, Bottleneck = 8 })),
        "dense_moa" => (SavedAndLoaded.Llama, "llm", m => MoaAttacher.Attach(m, "llm", new MoaOptions { Mixing = "dense", Experts = 3, Bottleneck = 8 })),
        "momae" => (SavedAndLoaded.Llama, "llm", m => PillAttacher.AttachExperts(m, "llm", new MomaeOptions { Bottleneck = 8 })),
        "mag" => (SavedAndLoaded.Llama, "llm", m => PillAttacher.AttachGates(m, "llm", new MagOptions { Heads = 2 })),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no test set-up for this kind"),
    };

    /// <summary>Saves the kind's adapters, edits the first entry of the config, loads into a fresh model; returns what it threw.</summary>
    private static Exception LoadEdited(string kind, Action<JsonObject> edit)
    {
        var (fresh, component, attach) = Setup(kind);
        using var temp = new TempFolder();
        using (var original = fresh())
        {
            attach(original);
            MmadaptModules.Save([(component, original)], temp.Path);
        }
        var config = JsonNode.Parse(File.ReadAllText(temp.File(MmadaptModules.ConfigFile)))!;
        var entry = config["modules"]![0]!.AsObject();
        Assert.Equal(kind, entry["kind"]!.GetValue<string>());
        edit(entry);
        File.WriteAllText(temp.File(MmadaptModules.ConfigFile), config.ToJsonString());
        using var model = fresh();
        return Assert.ThrowsAny<Exception>(() => MmadaptModules.Load([(component, model)], temp.Path));
    }

    [Theory]
    [InlineData("bottleneck_adapter", "bottleneck", 6, "down_proj: checkpoint [8,48], model expects [6,48]")]
    [InlineData("soft_moa", "experts", 2, "phi: checkpoint [48,6], model expects [48,4]")]
    [InlineData("soft_moa", "slots", 3, "phi: checkpoint [48,6], model expects [48,9]")]
    [InlineData("dense_moa", "experts", 4, "router_weight: checkpoint [3,48], model expects [4,48]")]
    [InlineData("momae", "bottleneck", 4, "text.down_proj: checkpoint [8,48], model expects [4,48]")]
    [InlineData("mag", "heads", 4, "gate_proj: checkpoint [2,48], model expects [4,48]")]
    public void A_setting_that_changes_a_shape_is_reported_with_the_tensor_and_both_shapes(string kind, string key, int value, string expected)
    {
        var e = Assert.IsType<CheckpointException>(LoadEdited(kind, entry => entry["settings"]![key] = value));
        Assert.Contains(expected, e.Message);
        Assert.Contains(MmadaptModules.WeightsFile, e.Message);
    }

    [Theory]
    [InlineData("bottleneck_adapter", "bottleneck, activation, scaling, parallel")]
    [InlineData("soft_moa", "experts, slots, bottleneck, activation, scaling, normalize, parallel")]
    [InlineData("dense_moa", "experts, bottleneck, activation, scaling, parallel")]
    [InlineData("momae", "bottleneck, modalities, gate_activation")]
    [InlineData("mag", "heads, modalities, residual, enabled")]
    public void An_unknown_setting_is_named_with_the_known_ones(string kind, string known)
    {
        var e = Assert.IsType<InvalidDataException>(LoadEdited(kind, entry => entry["settings"]!["bottlenek"] = 8));
        Assert.Contains($"unknown {kind} setting 'bottlenek'; known: {known}.", e.Message);
        Assert.Contains(MmadaptModules.ConfigFile, e.Message);
    }

    [Theory]
    [InlineData("bottleneck_adapter", "activation", "\"swish\"", "bottleneck_adapter setting 'activation': activation 'swish' is not supported; supported: relu, gelu, silu, sigmoid.")]
    [InlineData("soft_moa", "scaling", "\"big\"", "soft_moa setting 'scaling' must be a number, got \"big\".")]
    [InlineData("dense_moa", "bottleneck", "0", "llm.model.layers.0.mlp_site 'default': BottleneckExperts: bottleneck must be positive, got 0.")]
    [InlineData("momae", "modalities", "[\"text\", \"video\"]", "momae setting 'modalities' names unknown modality 'video'; supported: text, image, audio.")]
    [InlineData("momae", "gate_activation", "null", "momae setting 'gate_activation' is missing.")]
    [InlineData("mag", "residual", "1", "mag setting 'residual' must be true or false, got 1.")]
    public void A_bad_or_missing_setting_value_is_named(string kind, string key, string json, string expected)
    {
        var e = Assert.IsType<InvalidDataException>(LoadEdited(kind, entry => entry["settings"]![key] = JsonNode.Parse(json)));
        Assert.EndsWith(expected, e.Message); // one line, without .NET's "(Parameter 'x')" suffix
        Assert.Contains(MmadaptModules.ConfigFile, e.Message);
    }

    [Theory]
    [InlineData("momae", "site", "model.layers.0.mlp.up_proj", "placement 'site' needs a sublayer site, but 'model.layers.0.mlp.up_proj' is a projection.")]
    [InlineData("bottleneck_adapter", "site", "model.layers.0.self_attn", "placement 'site' needs a sublayer site, but 'model.layers.0.self_attn' is a LlamaAttention.")]
    [InlineData("mag", "projection", "model.layers.0.mlp_site", "placement 'projection' needs a projection, but 'model.layers.0.mlp_site' is a sublayer site.")]
    [InlineData("momae", "projection", "model.layers.0.mlp.up_proj", "kind 'momae' sits in a sublayer site (placement 'site'), not on a projection.")]
    [InlineData("mag", "site", "model.layers.0.mlp_site", "kind 'mag' sits on a linear projection (placement 'projection'), not in a sublayer site.")]
    public void A_placement_that_does_not_fit_the_path_or_the_kind_is_refused(string kind, string placement, string path, string expected)
    {
        var e = Assert.IsType<InvalidDataException>(LoadEdited(kind, entry =>
        {
            entry["placement"] = placement;
            entry["path"] = path;
        }));
        Assert.Contains(expected, e.Message);
        Assert.Contains(MmadaptModules.ConfigFile, e.Message);
    }
}
