using System.Text.Json.Nodes;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Vision;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Encoders.Vision;

public class VisionTowerTests
{
    public static TheoryData<string> Towers => new() { "clip_vision", "siglip_vision" };

    [Theory, MemberData(nameof(Towers))]
    public void Last_and_penultimate_hidden_states_match_the_reference(string name)
    {
        using var tower = VisionTower.FromPretrained(FixturePaths.Of(name));
        using var pixels = FixturePaths.Expected(name, "pixel_values");
        using var last = FixturePaths.Expected(name, "last_hidden_state");
        using var penultimate = FixturePaths.Expected(name, "penultimate_hidden_state");
        using var _ = no_grad();
        var output = tower.Forward(pixels, outputHiddenStates: true);
        TensorAssert.Close(output.LastHiddenState, last, 1e-4, $"{name} last_hidden_state");
        Assert.Equal(tower.Config.Layers + 1, output.HiddenStates!.Count);
        TensorAssert.Close(output.HiddenStates[^2], penultimate, 1e-4, $"{name} hidden_states[-2]");
        using var selected = tower.SelectFeatures(pixels, new VisionFeatureSelection(Layer: -2));
        TensorAssert.Close(selected, penultimate, 1e-4, "layer -2 selection");
    }

    [Theory, MemberData(nameof(Towers))]
    public void Fixture_image_pixel_values_give_the_reference_features(string name)
    {
        using var tower = VisionTower.FromPretrained(FixturePaths.Of(name));
        using var pixels = FixturePaths.Expected(name, "image_pixel_values");
        using var expected = FixturePaths.Expected(name, "image_last_hidden_state");
        using var _ = no_grad();
        TensorAssert.Close(tower.Forward(pixels).LastHiddenState, expected, 1e-4, $"{name} image features");
    }

    [Fact]
    public void Llava_selection_drops_the_class_token_of_clip_only()
    {
        using var clip = VisionTower.FromPretrained(FixturePaths.Of("clip_vision"));
        using var siglip = VisionTower.FromPretrained(FixturePaths.Of("siglip_vision"));
        using var pixels = FixturePaths.Expected("clip_vision", "pixel_values");
        using var penultimate = FixturePaths.Expected("clip_vision", "penultimate_hidden_state");
        using var _ = no_grad();
        using var features = clip.SelectFeatures(pixels, VisionFeatureSelection.Llava);
        Assert.Equal(new long[] { 2, 16, 48 }, features.shape);
        TensorAssert.Close(features, penultimate.narrow(1, 1, 16), 1e-4, "patch tokens of layer -2");
        using var siglipFeatures = siglip.SelectFeatures(pixels, VisionFeatureSelection.Llava);
        Assert.Equal(new long[] { 2, 16, 48 }, siglipFeatures.shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => clip.SelectFeatures(pixels, new VisionFeatureSelection(Layer: -5)));
        using var embeddings = clip.SelectFeatures(pixels, new VisionFeatureSelection(Layer: -4)); // hidden_states[0]
        Assert.Equal(new long[] { 2, 17, 48 }, embeddings.shape);
    }

    [Theory, MemberData(nameof(Towers))]
    public void State_dict_keys_equal_the_checkpoint_keys(string name)
    {
        using var tower = VisionTower.FromPretrained(FixturePaths.Of(name));
        using var checkpoint = SafetensorsFile.Open(FixturePaths.Of(name, "model.safetensors"));
        Assert.Equal(checkpoint.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), tower.state_dict().Keys.Order(StringComparer.Ordinal));
        // Every projection is adaptable: 4 attention + 2 MLP per layer.
        Assert.Equal(6 * tower.Config.Layers, tower.modules().OfType<AdaptableLinear>().Count());
    }

    [Theory]
    [InlineData("model.vision_tower.vision_tower.", "llava")]
    [InlineData("vision_tower.", "llava")]
    [InlineData("", "clip")]
    public void Loads_by_prefix_from_full_and_llava_style_checkpoints(string prefix, string outerType)
    {
        using var temp = new TempFolder();
        var folder = temp.File("combined");
        Directory.CreateDirectory(folder);
        var tensors = new Dictionary<string, Tensor>();
        using (var file = SafetensorsFile.Open(FixturePaths.Of("clip_vision", "model.safetensors")))
            foreach (var t in file.Tensors)
                tensors[prefix + t.Name] = file.Read(t.Name);
        // Neighbours the tower must skip: a text tower, an LLM layer, a projector.
        tensors[prefix + "text_model.embeddings.token_embedding.weight"] = zeros(10, 4);
        tensors["model.layers.0.self_attn.q_proj.weight"] = zeros(4, 4);
        tensors["multi_modal_projector.linear_1.weight"] = zeros(4, 4);
        ShardedCheckpointWriter.Write(folder, tensors, maxShardBytes: 100_000);
        foreach (var t in tensors.Values) t.Dispose();
        var vision = JsonNode.Parse(File.ReadAllText(FixturePaths.Of("clip_vision", "config.json")))!;
        var config = new JsonObject { ["model_type"] = outerType, ["vision_config"] = vision.DeepClone() };
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());

        using var tower = VisionTower.FromPretrained(folder);
        using var pixels = FixturePaths.Expected("clip_vision", "pixel_values");
        using var expected = FixturePaths.Expected("clip_vision", "last_hidden_state");
        using var _ = no_grad();
        TensorAssert.Close(tower.Forward(pixels).LastHiddenState, expected, 1e-4, $"loaded under '{prefix}'");
    }

    [Fact]
    public void Bad_folders_and_inputs_give_named_errors()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("clip_vision"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!;
        config["model_type"] = "dinov2";
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => VisionTower.FromPretrained(folder));
        Assert.Contains("'dinov2' is not a supported vision tower; supported: clip_vision_model, clip, siglip_vision_model, siglip", e.Message);

        using var tower = VisionTower.FromPretrained(FixturePaths.Of("clip_vision"));
        using var wrongSize = zeros(1, 3, 40, 40);
        var size = Assert.Throws<ArgumentException>(() => tower.Forward(wrongSize));
        Assert.Contains("26 tokens but the tower has 17 positions", size.Message);
        using var notImage = zeros(3, 32, 32);
        Assert.Throws<ArgumentException>(() => tower.Forward(notImage));
        var mismatched = temp.CopyOf(FixturePaths.Of("clip_vision"), "mismatched");
        File.Copy(FixturePaths.Of("whisper_encoder", "model.safetensors"), Path.Combine(mismatched, "model.safetensors"), overwrite: true);
        var missing = Assert.Throws<CheckpointException>(() => VisionTower.FromPretrained(mismatched));
        Assert.Contains("holds no vision tower", missing.Message);
        Assert.Contains("model.safetensors", missing.Message);
    }
}
