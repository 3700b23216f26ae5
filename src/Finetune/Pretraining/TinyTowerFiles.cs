using System.Text.Json.Nodes;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.IO;
using MMAdapt.Encoders.Vision;
using MMAdapt.Encoders.Whisper;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Pretraining;

/// <summary>
/// Writes tiny encoder towers as Hugging Face folders: a CLIP vision tower (<c>CLIPVisionModel</c> config.json,
/// <c>CLIPImageProcessor</c> preprocessor_config.json) and a Whisper encoder (<c>WhisperModel</c> config.json,
/// <c>WhisperFeatureExtractor</c> preprocessor_config.json for 1 s chunks at 16 kHz), plus model.safetensors.
/// Shared by <see cref="TinyCheckpoints"/> (random weights) and the tower pretrainers, so both write the same layout.
/// </summary>
internal static class TinyTowerFiles
{
    /// <summary>Whisper's sample rate.</summary>
    public const int SampleRate = 16000;

    /// <summary>Log-mel bins of the tiny Whisper encoder (as Whisper before large-v3).</summary>
    public const int MelBins = 80;

    /// <summary>Seconds per audio chunk: the synthetic sounds' length, so nothing is padded.</summary>
    public const int ChunkSeconds = 1;

    /// <summary>Mel frames per chunk (hop 160 at 16 kHz: 100 per second); the encoder halves them.</summary>
    public const int MelFrames = 100 * ChunkSeconds;

    /// <summary>Writes config.json and preprocessor_config.json of a CLIP vision tower into <paramref name="folder"/>.</summary>
    /// <returns>The config as the tower reads it back.</returns>
    public static VisionTowerConfig WriteClipVisionConfig(string folder, int imageSize, int patchSize, int hidden, int intermediate, int layers, int heads)
    {
        WriteJson(folder, "config.json", new JsonObject
        {
            ["model_type"] = "clip_vision_model", ["architectures"] = new JsonArray("CLIPVisionModel"),
            ["image_size"] = imageSize, ["patch_size"] = patchSize, ["hidden_size"] = hidden, ["intermediate_size"] = intermediate,
            ["num_hidden_layers"] = layers, ["num_attention_heads"] = heads, ["num_channels"] = 3, ["hidden_act"] = "quick_gelu", ["layer_norm_eps"] = 1e-5,
        });
        WriteJson(folder, "preprocessor_config.json", new JsonObject
        {
            ["image_processor_type"] = "CLIPImageProcessor", ["do_resize"] = true, ["size"] = new JsonObject { ["shortest_edge"] = imageSize },
            ["resample"] = 3, ["do_center_crop"] = true, ["crop_size"] = new JsonObject { ["height"] = imageSize, ["width"] = imageSize },
            ["do_rescale"] = true, ["rescale_factor"] = 1 / 255.0, ["do_normalize"] = true, ["do_convert_rgb"] = true,
            ["image_mean"] = new JsonArray(0.48145466, 0.4578275, 0.40821073), ["image_std"] = new JsonArray(0.26862954, 0.26130258, 0.27577711),
        });
        return VisionTowerConfig.Load(Path.Combine(folder, "config.json"));
    }

    /// <summary>Writes config.json and preprocessor_config.json of a Whisper encoder for <see cref="ChunkSeconds"/>-second chunks.</summary>
    /// <returns>The config as the encoder reads it back.</returns>
    public static WhisperEncoderConfig WriteWhisperConfig(string folder, int dModel, int ffn, int layers, int heads)
    {
        WriteJson(folder, "config.json", new JsonObject
        {
            ["model_type"] = "whisper", ["architectures"] = new JsonArray("WhisperModel"), ["num_mel_bins"] = MelBins, ["d_model"] = dModel,
            ["encoder_layers"] = layers, ["encoder_attention_heads"] = heads, ["encoder_ffn_dim"] = ffn, ["max_source_positions"] = MelFrames / 2,
            ["activation_function"] = "gelu",
        });
        WriteJson(folder, "preprocessor_config.json", new JsonObject
        {
            ["feature_extractor_type"] = "WhisperFeatureExtractor", ["feature_size"] = MelBins, ["sampling_rate"] = SampleRate, ["n_fft"] = 400,
            ["hop_length"] = 160, ["chunk_length"] = ChunkSeconds, ["n_samples"] = SampleRate * ChunkSeconds, ["nb_max_frames"] = MelFrames, ["padding_value"] = 0.0,
        });
        return WhisperEncoderConfig.Load(Path.Combine(folder, "config.json"));
    }

    /// <summary>Writes the tower's weights as <c>CLIPVisionModel</c> keys (<c>vision_model.…</c>).</summary>
    public static void SaveVision(string folder, VisionTower tower) =>
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tower.state_dict());

    /// <summary>Writes the encoder's weights under <c>encoder.</c>, as a <c>WhisperModel</c> without its decoder.</summary>
    public static void SaveWhisper(string folder, WhisperEncoder encoder) =>
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), encoder.state_dict().ToDictionary(kv => "encoder." + kv.Key, kv => kv.Value));

    /// <summary>
    /// Norms at (1, 0), biases at 0, everything else N(0, 0.02), from one seeded generator in name order, so the
    /// same seed gives the same weights whatever order the module registered them in.
    /// </summary>
    public static void RandomInitialise(nn.Module module, long seed)
    {
        using var _ = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var (name, p) in module.named_parameters().OrderBy(p => p.name, StringComparer.Ordinal))
        {
            bool norm = name.Contains("norm", StringComparison.OrdinalIgnoreCase) || name.Contains("layrnorm", StringComparison.Ordinal);
            if (norm && name.EndsWith(".weight", StringComparison.Ordinal))
                p.fill_(1.0);
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
                p.zero_();
            else
                p.normal_(0, 0.02, generator);
        }
    }

    private static void WriteJson(string folder, string file, JsonObject json)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, file), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
