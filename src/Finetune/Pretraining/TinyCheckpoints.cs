using MMAdapt.Core.Configuration;
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
        var config = TinyTowerFiles.WriteClipVisionConfig(folder, imageSize: 32, patchSize: 8, hidden: 48, intermediate: 96, layers: 2, heads: 4);
        using var tower = new VisionTower(config);
        TinyTowerFiles.RandomInitialise(tower, seed);
        TinyTowerFiles.SaveVision(folder, tower);
    }

    private static void WriteAudio(string folder, long seed)
    {
        var config = TinyTowerFiles.WriteWhisperConfig(folder, dModel: 48, ffn: 96, layers: 2, heads: 4);
        using var encoder = new WhisperEncoder(config);
        TinyTowerFiles.RandomInitialise(encoder, seed);
        TinyTowerFiles.SaveWhisper(folder, encoder);
    }
}
