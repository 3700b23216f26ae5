using System.Text.Json;
using MMAdapt.Adapters.Ia3;
using MMAdapt.Adapters.Peft;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Modules;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Lora;

/// <summary>IA3 in both modes: the formula, merge and unmerge (with and without a bias), PEFT's shapes, key and folder.</summary>
public class Ia3Tests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Merging_gives_the_unmerged_output_and_unmerging_restores_weight_and_bias(bool feedForward, bool hasBias)
    {
        using var generator = new Generator(21);
        using var host = new AdaptableLinear(12, 10, hasBias);
        host.ResetParameters(generator);
        var ia3 = new Ia3Adapter(12, 10, feedForward);
        host.Adapters.Add("ia3", ia3);
        using var _ = no_grad();
        ia3.Vector.uniform_(0.5, 1.5, generator);
        using var x = randn(new long[] { 2, 4, 12 }, generator: generator);
        using var weight = host.Weight.clone();
        using var bias = host.Bias?.clone();

        using var y = host.Forward(x);
        using var l = ia3.Vector.flatten();
        using var expected = feedForward ? nn.functional.linear(x * l, weight, bias) : nn.functional.linear(x, weight, bias) * l;
        TensorAssert.Close(y, expected, 1e-6, feedForward ? "W (l ⊙ x) + b" : "l ⊙ (W x + b)");

        host.Merge("ia3");
        using var merged = host.Forward(x);
        TensorAssert.Close(merged, y, 1e-6, "merged vs unmerged");
        host.Unmerge("ia3");
        TensorAssert.Close(host.Weight, weight, 1e-6, "weight after unmerging");
        if (bias is not null)
            TensorAssert.Close(host.Bias!, bias, 1e-6, "bias after unmerging");
    }

    [Fact]
    public void Vectors_have_peft_shapes_and_the_ia3_l_key()
    {
        using var model = AdapterCases.Model();
        var config = new Ia3Config { TargetModules = ModuleSelector.Of("k_proj", "v_proj", "down_proj"), FeedforwardModules = ModuleSelector.Of("down_proj") };
        var attached = Ia3Attacher.Attach(model, "llm", config);
        Assert.Equal(6, attached.Count);
        var state = model.state_dict();
        Assert.Equal([16, 1], state["model.layers.0.self_attn.k_proj.adapters.default.ia3_l"].shape);    // [out, 1]: scales the output
        Assert.Equal([1, 80], state["model.layers.1.mlp.down_proj.adapters.default.ia3_l"].shape);        // [1, in]: scales the input
        Assert.True(((Ia3Adapter)attached["model.layers.0.mlp.down_proj"]).FeedForward);
        Assert.False(((Ia3Adapter)attached["model.layers.0.self_attn.v_proj"]).FeedForward);
    }

    [Fact]
    public void An_ia3_folder_round_trips_in_peft_format()
    {
        using var temp = new TempFolder();
        using var model = AdapterCases.Model();
        using var ids = AdapterCases.InputIds();
        var config = new Ia3Config
        {
            TargetModules = ModuleSelector.Of("k_proj", "v_proj", "down_proj"),
            FeedforwardModules = ModuleSelector.Of("down_proj"),
            InitIa3Weights = false,                                  // random vectors: the logits change
        };
        Ia3Attacher.Attach(model, "llm", config, seed: 3);
        using var expected = AdapterCases.Logits(model, ids);
        PeftAdapter.Save(model, temp.Path, config);

        using (var json = JsonDocument.Parse(File.ReadAllText(temp.File(PeftAdapter.ConfigFile))))
        {
            var root = json.RootElement;
            Assert.Equal("IA3", root.GetProperty("peft_type").GetString());
            Assert.Equal(["down_proj"], root.GetProperty("feedforward_modules").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["k_proj", "v_proj", "down_proj"], root.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
            Assert.True(root.GetProperty("inference_mode").GetBoolean());
        }
        using (var file = SafetensorsFile.Open(temp.File(PeftAdapter.WeightsFile)))
        {
            Assert.Equal(6, file.Tensors.Count);
            Assert.Equal([1, 80], file.Info("base_model.model.model.layers.0.mlp.down_proj.ia3_l").Shape);
            Assert.Equal([16, 1], file.Info("base_model.model.model.layers.1.self_attn.v_proj.ia3_l").Shape);
        }

        using var reloaded = AdapterCases.Model();
        var read = Assert.IsType<Ia3Config>(PeftAdapter.Load(reloaded, temp.Path));
        Assert.True(read.IsFeedForward("model.layers.0.mlp.down_proj"));
        using var logits = AdapterCases.Logits(reloaded, ids);
        Assert.True(AdapterCases.Same(logits, expected), "reloaded IA3 logits");
    }

    [Fact]
    public void Feedforward_modules_outside_the_targets_and_embeddings_are_refused()
    {
        var config = new Ia3Config { TargetModules = ModuleSelector.Of("k_proj"), FeedforwardModules = ModuleSelector.Of("down_proj") };
        var e = Assert.Throws<InvalidDataException>(() => config.Validate("adapter_config.json"));
        Assert.Contains("adapter_config.json: feedforward_modules must be a subset of target_modules; not in target_modules: down_proj", e.Message);

        using var model = AdapterCases.Model();
        var embedding = new Ia3Config { TargetModules = ModuleSelector.Of("lm_head", "embed_tokens") };
        var refused = Assert.Throws<ArgumentException>(() => Ia3Attacher.Attach(model, "llm", embedding));
        Assert.Contains("IA3 attaches to linear projections; 'model.embed_tokens' is not one (AdaptableEmbedding)", refused.Message);
        // lm_head (first in name order) was attached before the embedding failed, and was taken off again.
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains(".adapters."));
    }
}
