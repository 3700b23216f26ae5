using System.Text.Json.Nodes;
using MMAdapt.Models.Tokenization;

namespace MMAdapt.Tests.Models.Tokenization;

/// <summary>Small tokenizers trained on the spot for tests, and helpers to write variants of their files.</summary>
internal static class TinyTokenizers
{
    public static readonly string[] ChatSpecials =
    [
        "<|endoftext|>", "<s>", "</s>", "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|im_start|>", "<|im_end|>",
    ];

    private static readonly Lazy<string> ChatJson = new(() => Trainer().Train(Corpus()));

    /// <summary>A fixed small English corpus with code, numbers and a little non-Latin text.</summary>
    public static IEnumerable<string> Corpus()
    {
        string[] sentences =
        [
            "The quick brown fox jumps over the lazy dog.",
            "Hello world! The tokenizer splits text into tokens.",
            "What is 2+2? The answer is 4.",
            "You are a terse assistant. Answer in one word.",
            "def tokenize(text):\n    return text.split()\n",
            "Training a tokenizer on a small corpus is quick and deterministic.",
            "Café au lait, naïve résumé; 日本語 and 中文 appear rarely.",
            "The model reads the image and the audio, then answers the question.",
        ];
        for (var round = 0; round < 12; round++)
        {
            foreach (var sentence in sentences)
            {
                yield return $"{sentence} ({round})";
            }
        }
    }

    public static BpeTrainer Trainer(int vocabSize = 400) => new()
    {
        VocabSize = vocabSize,
        SpecialTokens = ChatSpecials,
        BosToken = "<s>",
        EosToken = "</s>",
        PadToken = "<|endoftext|>",
    };

    /// <summary>The trained tokenizer.json text (trained once per test run).</summary>
    public static string TokenizerJson => ChatJson.Value;

    /// <summary>Writes the trained tokenizer.json into <paramref name="folder"/>, edited by <paramref name="edit"/>.</summary>
    public static string WriteJson(string folder, Action<JsonObject>? edit = null, string name = "tokenizer.json")
    {
        var root = JsonNode.Parse(TokenizerJson)!.AsObject();
        edit?.Invoke(root);
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    /// <summary>The chat-test tokenizer: trained tokenizer.json plus a config naming BOS/EOS/PAD.</summary>
    public static TextTokenizer Chat(string folder)
    {
        WriteJson(folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{"add_bos_token": true, "bos_token": "<s>", "eos_token": {"content": "</s>"}, "pad_token": "<|endoftext|>"}""");
        return TextTokenizer.FromFolder(folder);
    }
}
