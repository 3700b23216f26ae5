using System.Text.Json.Nodes;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Encoders.Vision;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Finetune.Multimodal;

/// <summary>Hugging Face <c>LlavaForConditionalGeneration</c> folders: the LLM and the tower load from their prefixes.</summary>
public class LlavaLayoutTests
{
    /// <summary>Writes a LLaVA folder from the llama and CLIP fixtures in the old or the new key layout.</summary>
    internal static string WriteLlavaFolder(TempFolder temp, bool newLayout)
    {
        var folder = temp.File(newLayout ? "llava-new" : "llava-old");
        Directory.CreateDirectory(folder);
        var tensors = new Dictionary<string, Tensor>();
        using (var llm = SafetensorsFile.Open(FixturePaths.Of("llama", "model.safetensors")))
            foreach (var t in llm.Tensors)
                tensors[newLayout
                    ? (t.Name == "lm_head.weight" ? t.Name : "model.language_model." + t.Name["model.".Length..])
                    : "language_model." + t.Name] = llm.Read(t.Name);
        using (var clip = SafetensorsFile.Open(FixturePaths.Of("clip_vision", "model.safetensors")))
            foreach (var t in clip.Tensors)
                tensors[(newLayout ? "model.vision_tower." : "vision_tower.") + t.Name] = clip.Read(t.Name);
        var projector = newLayout ? "model.multi_modal_projector." : "multi_modal_projector.";
        tensors[projector + "linear_1.weight"] = randn(48, 48) * 0.1;
        tensors[projector + "linear_1.bias"] = zeros(48);
        tensors[projector + "linear_2.weight"] = randn(48, 48) * 0.1;
        tensors[projector + "linear_2.bias"] = zeros(48);
        ShardedCheckpointWriter.Write(folder, tensors, maxShardBytes: 200_000);
        foreach (var t in tensors.Values) t.Dispose();
        var config = new JsonObject
        {
            ["model_type"] = "llava",
            ["architectures"] = new JsonArray("LlavaForConditionalGeneration"),
            ["text_config"] = JsonNode.Parse(File.ReadAllText(FixturePaths.Of("llama", "config.json"))),
            ["vision_config"] = JsonNode.Parse(File.ReadAllText(FixturePaths.Of("clip_vision", "config.json"))),
            ["vision_feature_layer"] = -2,
            ["vision_feature_select_strategy"] = "default",
            ["projector_hidden_act"] = "gelu",
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        File.Copy(FixturePaths.Of("clip_vision", "preprocessor_config.json"), Path.Combine(folder, "preprocessor_config.json"));
        return folder;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_llm_and_the_tower_load_from_a_llava_folder(bool newLayout)
    {
        using var temp = new TempFolder();
        var folder = WriteLlavaFolder(temp, newLayout);
        using var llm = LlamaForCausalLM.FromCheckpoint(LlamaConfig.LoadText(Path.Combine(folder, "config.json")), folder);
        using var ids = FixturePaths.Expected("llama", "input_ids");
        using var expected = FixturePaths.Expected("llama", "logits");
        using var _ = no_grad();
        using var logits = llm.Forward(new DecoderInput { InputIds = ids }).Logits;
        TensorAssert.Close(logits, expected, 1e-4, "LLM from a LLaVA folder");

        using var tower = VisionTower.FromPretrained(folder);
        using var pixels = FixturePaths.Expected("clip_vision", "pixel_values");
        using var hidden = FixturePaths.Expected("clip_vision", "last_hidden_state");
        TensorAssert.Close(tower.Forward(pixels).LastHiddenState, hidden, 1e-4, "tower from a LLaVA folder");
    }
}
