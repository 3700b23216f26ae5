using System.Text.Json.Nodes;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Diagnostics;
using MMAdapt.Models;
using MMAdapt.Models.Layers;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Models;

/// <summary>Config reading and the errors a bad checkpoint folder gives.</summary>
[Collection(nameof(LogSinkCollection))]
public class LlamaLoadingTests
{
    private static void EditConfig(string folder, Action<JsonObject> edit)
    {
        var path = Path.Combine(folder, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    private static Dictionary<string, Tensor> FixtureTensors(string family)
    {
        using var file = SafetensorsFile.Open(FixturePaths.Of(family, "model.safetensors"));
        return file.Tensors.ToDictionary(t => t.Name, t => file.Read(t.Name));
    }

    [Fact]
    public void Unknown_model_type_lists_the_supported_ones()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("llama"));
        EditConfig(folder, c => c["model_type"] = "gpt2");
        var e = Assert.Throws<InvalidDataException>(() => LlamaForCausalLM.FromPretrained(folder));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("'gpt2'", e.Message);
        Assert.Contains("llama, mistral, qwen2", e.Message);
        var viaLoader = Assert.Throws<InvalidDataException>(() => LanguageModel.Load(folder));
        Assert.Contains("llama, mistral, qwen2", viaLoader.Message);
    }

    [Fact]
    public void Shape_mismatch_names_the_tensor_and_both_shapes()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("llama"));
        EditConfig(folder, c => c["intermediate_size"] = 96);
        var e = Assert.Throws<CheckpointException>(() => LlamaForCausalLM.FromPretrained(folder));
        Assert.Contains("model.layers.0.mlp.gate_proj.weight: checkpoint [80,48], model expects [96,48]", e.Message);
    }

    [Fact]
    public void Missing_and_unexpected_tensors_are_named()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("llama"));
        var tensors = FixtureTensors("llama");
        tensors.Remove("model.layers.1.mlp.down_proj.weight", out var removed);
        removed!.Dispose();
        tensors["model.layers.1.mlp.extra.weight"] = zeros(2, 2);
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
        foreach (var t in tensors.Values) t.Dispose();
        var e = Assert.Throws<CheckpointException>(() => LlamaForCausalLM.FromPretrained(folder));
        Assert.Contains("model.layers.1.mlp.down_proj.weight", e.Message);
        Assert.Contains("model.layers.1.mlp.extra.weight", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void Sharded_checkpoint_loads_to_the_same_logits()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("llama"));
        File.Delete(Path.Combine(folder, "model.safetensors"));
        var tensors = FixtureTensors("llama");
        var shards = ShardedCheckpointWriter.Write(folder, tensors, maxShardBytes: 60_000);
        foreach (var t in tensors.Values) t.Dispose();
        Assert.True(shards.Count >= 3);
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors.index.json")));

        using var sharded = LlamaForCausalLM.FromPretrained(folder);
        using var single = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        using var ids = tensor(new long[,] { { 1, 2, 3, 4 } });
        using var _ = no_grad();
        var a = sharded.Forward(new() { InputIds = ids }).Logits;
        var b = single.Forward(new() { InputIds = ids }).Logits;
        Assert.True(a.eq(b).all().item<bool>());
    }

    [Fact]
    public void Missing_folder_and_missing_config_are_named()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => LlamaForCausalLM.FromPretrained("/nonexistent/model"));
        Assert.Contains("/nonexistent/model", e.Message);
        using var temp = new TempFolder();
        var f = Assert.Throws<FileNotFoundException>(() => LlamaForCausalLM.FromPretrained(temp.Path));
        Assert.Contains("config.json", f.Message);
    }

    [Fact]
    public void Sliding_window_is_ignored_with_a_warning()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("llama"));
        EditConfig(folder, c => { c["model_type"] = "mistral"; c["sliding_window"] = 4096; });
        var warnings = new List<string>();
        var previous = Log.WarningSink;
        Log.WarningSink = warnings.Add;
        try
        {
            using var model = LlamaForCausalLM.FromPretrained(folder);
            Assert.Equal("mistral", model.Config.ModelType);
            // Mistral is the Llama architecture: the same weights give the same logits.
            using var llama = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
            using var ids = tensor(new long[,] { { 5, 17, 42, 8, 77, 3 } });
            using var _ = no_grad();
            using var a = model.Forward(new() { InputIds = ids }).Logits;
            using var b = llama.Forward(new() { InputIds = ids }).Logits;
            Assert.True(a.eq(b).all().item<bool>());
        }
        finally
        {
            Log.WarningSink = previous;
        }
        Assert.Single(warnings);
        Assert.Contains("sliding_window 4096 is ignored", warnings[0]);
    }

    [Fact]
    public void Bad_config_values_name_the_key()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("llama"));
        EditConfig(folder, c => c["num_key_value_heads"] = 4);
        var e = Assert.Throws<InvalidDataException>(() => LlamaForCausalLM.FromPretrained(folder));
        Assert.Contains("num_attention_heads 6 is not a multiple of num_key_value_heads 4", e.Message);

        EditConfig(folder, c => { c["num_key_value_heads"] = 2; c["hidden_size"] = "wide"; });
        var t = Assert.Throws<InvalidDataException>(() => LlamaForCausalLM.FromPretrained(folder));
        Assert.Contains("hidden_size", t.Message);

        EditConfig(folder, c => { c["hidden_size"] = 48; c["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 }; });
        var r = Assert.Throws<InvalidDataException>(() => LlamaForCausalLM.FromPretrained(folder));
        Assert.Contains("'yarn' is not supported; supported: default, linear, llama3", r.Message);

        File.WriteAllText(Path.Combine(folder, "config.json"), "{ \"model_type\": \"llama\", ");
        var j = Assert.Throws<InvalidDataException>(() => LlamaForCausalLM.FromPretrained(folder));
        Assert.Contains("config.json", j.Message);
    }

    [Fact]
    public void Llama3_rope_scaling_matches_the_published_formula()
    {
        // Llama 3.1 8B settings; expected values computed here in double precision, element by element.
        var scaling = new RopeScaling { RopeType = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192 };
        using var inv = RotaryEmbedding.InverseFrequencies(128, 500000, scaling);
        var actual = inv.data<float>().ToArray();
        for (int i = 0; i < 64; i++)
        {
            double f = 1.0 / Math.Pow(500000, 2.0 * i / 128);
            double wavelength = 2 * Math.PI / f;
            double expected;
            if (wavelength < 8192 / 4.0) expected = f;
            else if (wavelength > 8192 / 1.0) expected = f / 8;
            else
            {
                double smooth = (8192 / wavelength - 1) / (4 - 1);
                expected = (1 - smooth) * f / 8 + smooth * f;
            }
            Assert.Equal(expected, actual[i], expected * 1e-6);
        }
        // The three regimes all occur for these settings.
        Assert.Equal(1.0, actual[0], 1e-7);
        Assert.True(actual[63] < 1.0 / Math.Pow(500000, 126.0 / 128) / 7.9);
    }
}

[CollectionDefinition(nameof(LogSinkCollection), DisableParallelization = true)]
public sealed class LogSinkCollection { }
