using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMAdapt.Core.Configuration;
using MMAdapt.Core.IO;
using MMAdapt.Encoders.Vision;
using MMAdapt.Models.Llama;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Export;

/// <summary>
/// The JSON files of a LLaVA folder besides the tokenizer's: <c>config.json</c> (<c>LlavaConfig</c>),
/// <c>preprocessor_config.json</c> (the tower's image processor, as MMAdapt preprocessed), <c>processor_config.json</c>
/// (<c>LlavaProcessor</c>'s expansion settings) and <c>generation_config.json</c>.
/// </summary>
internal static class LlavaConfigFiles
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the four files into <paramref name="folder"/>.</summary>
    /// <param name="llm">The exported decoder (its config; the vocabulary comes from the plan).</param>
    /// <param name="plan">The export plan.</param>
    /// <param name="llmFolder">The source LLM folder, whose <c>generation_config.json</c> is kept when it has one.</param>
    /// <param name="folder">The folder being written.</param>
    public static void Write(LlamaForCausalLM llm, LlavaPlan plan, string llmFolder, string folder)
    {
        Save(folder, "config.json", Config(llm.Config, plan));
        Save(folder, "preprocessor_config.json", Preprocessor(plan));
        Save(folder, "processor_config.json", new JsonObject
        {
            ["processor_class"] = "LlavaProcessor",
            ["image_token"] = LlavaPlan.ImageToken,
            ["patch_size"] = plan.Vision.Tower.Config.PatchSize,
            ["vision_feature_select_strategy"] = plan.SelectStrategy,
            ["num_additional_image_tokens"] = plan.AdditionalImageTokens,
        });
        var generation = Path.Combine(llmFolder, "generation_config.json");
        if (File.Exists(generation))
            File.Copy(generation, Path.Combine(folder, "generation_config.json"));
        else
            Save(folder, "generation_config.json", Generation(llm.Config));
    }

    /// <summary><c>config.json</c>: LLaVA's fields around the decoder's and the tower's own configs.</summary>
    public static JsonObject Config(LlamaConfig text, LlavaPlan plan)
    {
        var dtype = TorchDtypeName(plan.Dtype);
        var textConfig = text with { VocabSize = plan.Vocabulary, TorchDtype = dtype, Architectures = [text.ArchitectureName] };
        return new JsonObject
        {
            ["architectures"] = new JsonArray("LlavaForConditionalGeneration"),
            ["model_type"] = "llava",
            ["ignore_index"] = -100,
            ["image_token_index"] = plan.ImageTokenId,
            ["image_seq_length"] = plan.ImageSequenceLength,
            ["projector_hidden_act"] = plan.ProjectorAct,
            ["multimodal_projector_bias"] = true,
            ["vision_feature_layer"] = plan.FeatureLayer,
            ["vision_feature_select_strategy"] = plan.SelectStrategy,
            ["tie_word_embeddings"] = text.TieWordEmbeddings,
            ["torch_dtype"] = dtype,
            ["text_config"] = JsonNode.Parse(HfConfigReader.Serialize(textConfig)),
            ["vision_config"] = VisionConfig(plan.Vision.Tower.Config, dtype),
        };
    }

    /// <summary>The tower's config with every value written out: CLIP's and SigLIP's Python defaults differ from ours.</summary>
    private static JsonObject VisionConfig(VisionTowerConfig config, string dtype) => new()
    {
        ["model_type"] = config.Family == VisionFamily.Clip ? "clip_vision_model" : "siglip_vision_model",
        ["hidden_size"] = config.HiddenSize,
        ["intermediate_size"] = config.IntermediateSize,
        ["num_hidden_layers"] = config.Layers,
        ["num_attention_heads"] = config.Heads,
        ["num_channels"] = config.Channels,
        ["image_size"] = config.ImageSize,
        ["patch_size"] = config.PatchSize,
        ["hidden_act"] = config.HiddenAct,
        ["layer_norm_eps"] = config.LayerNormEps,
        ["torch_dtype"] = dtype,
    };

    /// <summary>The image processor config in effect (defaults filled in), so Python preprocesses as training did.</summary>
    private static JsonObject Preprocessor(LlavaPlan plan)
    {
        var preprocessor = plan.Vision.Preprocessor;
        var config = preprocessor.Config with { ImageProcessorType = preprocessor.Config.ProcessorType, FeatureExtractorType = null };
        var json = JsonNode.Parse(HfConfigReader.Serialize(config))!.AsObject();
        if (preprocessor.PadToSquare)
        {
            // LLaVA-1.5's "pad" aspect ratio: transformers' LlavaImageProcessor pads with the mean colour before resizing.
            json["image_processor_type"] = "LlavaImageProcessor";
            json["do_pad"] = true;
        }
        json["processor_class"] = "LlavaProcessor";
        return json;
    }

    private static JsonObject Generation(LlamaConfig config)
    {
        var json = new JsonObject();
        void Ids(string key, IReadOnlyList<int>? ids)
        {
            if (ids is { Count: 1 })
                json[key] = ids[0];
            else if (ids is { Count: > 1 })
                json[key] = new JsonArray(ids.Select(id => (JsonNode)id).ToArray());
        }
        Ids("bos_token_id", config.BosTokenId);
        Ids("eos_token_id", config.EosTokenId);
        Ids("pad_token_id", config.PadTokenId);
        return json;
    }

    /// <summary>The <c>torch_dtype</c> string of a weight dtype.</summary>
    public static string TorchDtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float32 => "float32",
        _ => throw new ArgumentException($"dtype {dtype} cannot be exported; choose fp32, bf16 or fp16.", nameof(dtype)),
    };

    /// <summary>Writes <paramref name="json"/> indented to <paramref name="folder"/>/<paramref name="name"/>.</summary>
    public static void Save(string folder, string name, JsonNode json) =>
        AtomicFile.WriteAllText(Path.Combine(folder, name), json.ToJsonString(Indented) + "\n");
}
