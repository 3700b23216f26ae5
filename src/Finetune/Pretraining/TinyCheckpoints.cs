using System.Text.Json.Nodes;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Configuration;
using MMAdapt.Core.IO;
using MMAdapt.Encoders.Vision;
using MMAdapt.Encoders.Whisper;
using MMAdapt.Models.Llama;
using MMAdapt.Models.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Pretraining;

/// <summary>What <see cref="TinyCheckpoints.Write"/> produced.</summary>
/// <param name="Llm">The LLM folder.</param>
/// <param name="Vision">The CLIP-style vision tower folder.</param>
/// <param name="Audio">The Whisper encoder folder.</param>
public sealed record TinyCheckpointFolders(string Llm, string Vision, string Audio);

/// <summary>
/// Writes tiny random-weight checkpoints in Hugging Face layout, for smoke tests and recipes that must run in seconds:
/// a Llama-architecture LLM sized to a given tokenizer, a CLIP-architecture vision tower (32x32 images, 8x8 patches) and
/// a Whisper-architecture encoder (80 mels, 1 s chunks), each with config.json, preprocessor files and safetensors that
/// load through the same code paths as real checkpoints. The same seed gives byte-identical files.
/// </summary>
public static class TinyCheckpoints
{
    /// <summary>Writes the three folders under <paramref name="folder"/> (<c>llm</c>, <c>vision</c>, <c>audio</c>).</summary>
    /// <param name="folder">Where to write.</param>
    /// <param name="tokenizerFolder">A folder with tokenizer.json and tokenizer_config.json (copied into <c>llm</c>).</param>
    /// <param name="seed">Seed of the random weights.</param>
    /// <param name="hidden">LLM width.</param>
    public static TinyCheckpointFolders Write(string folder, string tokenizerFolder, long seed = 0, int hidden = 64)
    {
        var tokenizer = TextTokenizer.FromFolder(tokenizerFolder);
        var llm = Path.Combine(folder, "llm");
        var vision = Path.Combine(folder, "vision");
        var audio = Path.Combine(folder, "audio");
        int threads = get_num_threads();
        set_num_threads(1); // fixed reduction order, so the same seed gives the same bytes
        try
        {
            WriteLlm(llm, tokenizer, tokenizerFolder, seed, hidden);
            WriteVision(vision, seed + 1);
            WriteAudio(audio, seed + 2);
        }
        finally
        {
            set_num_threads(threads);
        }
        return new TinyCheckpointFolders(llm, vision, audio);
    }

    private const double EmbeddingScale = 5; // 0.02 * 5 = 0.1

    private static void WriteLlm(string folder, TextTokenizer tokenizer, string tokenizerFolder, long seed, int hidden)
    {
        var config = new LlamaConfig
        {
            VocabSize = tokenizer.VocabSize, // the project's BPE tokenizers number their tokens 0..N-1
            HiddenSize = hidden, IntermediateSize = hidden * 2 + hidden / 2, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeadsSetting = 2,
            MaxPositionEmbeddings = 512, RmsNormEps = 1e-5, TieWordEmbeddings = true,
            BosTokenId = tokenizer.BosTokenId is int b ? [b] : null,
            EosTokenId = tokenizer.EosTokenId is int e ? [e] : null,
            PadTokenId = tokenizer.PadTokenId is int p ? [p] : null,
        };
        using var model = new LlamaForCausalLM(config);
        model.InitializeWeights(seed);
        // Embeddings (tied to the frozen LM head) at std 0.1 rather than 0.02: at 0.02 every logit stays within about
        // +-1.3, so no adapter could make a confident prediction and smoke runs could not show learning.
        using (no_grad())
            model.Model.EmbedTokens.Weight.mul_(EmbeddingScale);
        model.SavePretrained(folder);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
            if (File.Exists(Path.Combine(tokenizerFolder, file)))
                File.Copy(Path.Combine(tokenizerFolder, file), Path.Combine(folder, file), overwrite: true);
    }

    private static void WriteVision(string folder, long seed)
    {
        var json = new JsonObject
        {
            ["model_type"] = "clip_vision_model", ["architectures"] = new JsonArray("CLIPVisionModel"),
            ["image_size"] = 32, ["patch_size"] = 8, ["hidden_size"] = 48, ["intermediate_size"] = 96,
            ["num_hidden_layers"] = 2, ["num_attention_heads"] = 4, ["num_channels"] = 3, ["hidden_act"] = "quick_gelu", ["layer_norm_eps"] = 1e-5,
        };
        WriteJson(folder, "config.json", json);
        WriteJson(folder, "preprocessor_config.json", new JsonObject
        {
            ["image_processor_type"] = "CLIPImageProcessor", ["do_resize"] = true, ["size"] = new JsonObject { ["shortest_edge"] = 32 },
            ["resample"] = 3, ["do_center_crop"] = true, ["crop_size"] = new JsonObject { ["height"] = 32, ["width"] = 32 },
            ["do_rescale"] = true, ["rescale_factor"] = 1 / 255.0, ["do_normalize"] = true, ["do_convert_rgb"] = true,
            ["image_mean"] = new JsonArray(0.48145466, 0.4578275, 0.40821073), ["image_std"] = new JsonArray(0.26862954, 0.26130258, 0.27577711),
        });
        using var tower = new VisionTower(VisionTowerConfig.Load(Path.Combine(folder, "config.json")));
        RandomInitialise(tower, seed);
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tower.state_dict());
    }

    private static void WriteAudio(string folder, long seed)
    {
        WriteJson(folder, "config.json", new JsonObject
        {
            ["model_type"] = "whisper", ["architectures"] = new JsonArray("WhisperModel"), ["num_mel_bins"] = 80, ["d_model"] = 48,
            ["encoder_layers"] = 2, ["encoder_attention_heads"] = 4, ["encoder_ffn_dim"] = 96, ["max_source_positions"] = 50,
            ["activation_function"] = "gelu",
        });
        WriteJson(folder, "preprocessor_config.json", new JsonObject
        {
            ["feature_extractor_type"] = "WhisperFeatureExtractor", ["feature_size"] = 80, ["sampling_rate"] = 16000, ["n_fft"] = 400,
            ["hop_length"] = 160, ["chunk_length"] = 1, ["n_samples"] = 16000, ["nb_max_frames"] = 100, ["padding_value"] = 0.0,
        });
        using var encoder = new WhisperEncoder(WhisperEncoderConfig.Load(Path.Combine(folder, "config.json")));
        RandomInitialise(encoder, seed);
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), encoder.state_dict().ToDictionary(kv => "encoder." + kv.Key, kv => kv.Value));
    }

    // Norms at (1, 0), biases at 0, everything else N(0, 0.02), from one seeded generator in name order.
    private static void RandomInitialise(nn.Module module, long seed)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
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
