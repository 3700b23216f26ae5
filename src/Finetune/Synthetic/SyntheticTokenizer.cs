using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMAdapt.Core.IO;
using MMAdapt.Models.Tokenization;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// The synthetic dataset's tokenizer: byte-level BPE trained on the dataset's text with
/// <see cref="BpeTrainer"/>, the special tokens of a chat model, and a ChatML <c>chat_template</c> in
/// tokenizer_config.json (which <see cref="MMAdapt.Models.Chat.ChatTemplate.Recognize"/> maps onto <c>chatml</c>).
/// </summary>
internal static class SyntheticTokenizer
{
    /// <summary>Beginning of text (BOS).</summary>
    public const string Bos = "<|begin_of_text|>";

    /// <summary>End of text (EOS).</summary>
    public const string Eos = "<|end_of_text|>";

    /// <summary>Padding.</summary>
    public const string Pad = "<|pad|>";

    /// <summary>Opens a ChatML turn.</summary>
    public const string ImStart = "<|im_start|>";

    /// <summary>Closes a ChatML turn.</summary>
    public const string ImEnd = "<|im_end|>";

    /// <summary>The special tokens, ids 0 to 4 in this order.</summary>
    public static IReadOnlyList<string> SpecialTokens { get; } = [Bos, Eos, Pad, ImStart, ImEnd];

    /// <summary>Qwen2's ChatML template without its default system prompt (Jinja source).</summary>
    public const string ChatTemplate =
        @"{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
        + @"{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    /// <summary>Trains on <paramref name="corpus"/> and writes tokenizer.json and tokenizer_config.json into <paramref name="folder"/>.</summary>
    /// <returns>The tokenizer's vocabulary size.</returns>
    public static int Write(string folder, IEnumerable<string> corpus, int vocabSize)
    {
        Directory.CreateDirectory(folder);
        var trainer = new BpeTrainer { VocabSize = vocabSize, SpecialTokens = SpecialTokens, BosToken = Bos, EosToken = Eos, PadToken = Pad };
        trainer.TrainFolder(corpus, folder);

        var configPath = Path.Combine(folder, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = ChatTemplate;
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        AtomicFile.WriteAllText(configPath, config.ToJsonString(options) + "\n");
        return TextTokenizer.FromFolder(folder).VocabSize;
    }
}
