using System.Text.Json.Nodes;
using MMAdapt.Models.Tokenization;
using Xunit;

namespace MMAdapt.Tests.Models.Tokenization;

public sealed class TokenizerJsonLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mmadapt-tokjson-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Nfc_normalizer_makes_decomposed_text_encode_like_composed_text()
    {
        const string composed = "caf\u00e9 na\u00efve";
        const string decomposed = "cafe\u0301 nai\u0308ve";
        var plain = TextTokenizer.FromTokenizerJson(TinyTokenizers.WriteJson(_folder));
        Assert.NotEqual(plain.Encode(composed), plain.Encode(decomposed));

        var nfc = TextTokenizer.FromTokenizerJson(TinyTokenizers.WriteJson(_folder, j => j["normalizer"] = new JsonObject { ["type"] = "NFC" }, "nfc.json"));
        Assert.Equal(nfc.Encode(composed), nfc.Encode(decomposed));
        Assert.Equal(plain.Encode(composed), nfc.Encode(decomposed));
        Assert.Equal(composed, nfc.Decode(nfc.Encode(decomposed)));
    }

    [Fact]
    public void String_and_pair_merges_load_to_the_same_tokenizer()
    {
        var pairs = TextTokenizer.FromTokenizerJson(TinyTokenizers.WriteJson(_folder));
        var strings = TextTokenizer.FromTokenizerJson(TinyTokenizers.WriteJson(_folder, j =>
        {
            var merges = j["model"]!["merges"]!.AsArray();
            j["model"]!["merges"] = new JsonArray(merges.Select(m => (JsonNode)JsonValue.Create($"{m![0]} {m[1]}")).ToArray());
        }, "strings.json"));
        foreach (var text in TokenizerTestStrings.Generate(300))
        {
            Assert.Equal(pairs.Encode(text), strings.Encode(text));
        }
    }

    [Fact]
    public void Gpt2_style_byte_level_pre_tokenizer_with_regex_and_prefix_space()
    {
        JsonObject ByteLevel(bool prefix) => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = prefix, ["use_regex"] = true };
        var noPrefix = TextTokenizer.FromTokenizerJson(TinyTokenizers.WriteJson(_folder, j => j["pre_tokenizer"] = ByteLevel(false), "a.json"));
        var prefix = TextTokenizer.FromTokenizerJson(TinyTokenizers.WriteJson(_folder, j => j["pre_tokenizer"] = ByteLevel(true), "b.json"));
        Assert.Equal(noPrefix.Encode(" hello world"), prefix.Encode("hello world"));
        Assert.Equal(prefix.Encode(" hello"), prefix.Encode("hello"));
        Assert.Equal("hello world", noPrefix.Decode(noPrefix.Encode("hello world")));
    }

    [Fact]
    public void Template_post_processor_makes_encode_add_bos_by_default()
    {
        var path = TinyTokenizers.WriteJson(_folder, j => j["post_processor"] = JsonNode.Parse(
            """{"type": "Sequence", "processors": [{"type": "ByteLevel"}, {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]}]}"""));
        var tokenizer = TextTokenizer.FromTokenizerJson(path);
        var bos = tokenizer.TokenToId("<|begin_of_text|>");
        Assert.Equal(bos, tokenizer.BosTokenId);
        Assert.Equal(bos, tokenizer.Encode("hi", addSpecialTokens: true)[0]);
        Assert.NotEqual(bos, tokenizer.Encode("hi")[0]);
    }

    [Fact]
    public void Non_special_added_tokens_are_matched_and_kept_when_skipping_special_tokens()
    {
        var path = TinyTokenizers.WriteJson(_folder, j => j["added_tokens"]!.AsArray().Add(
            new JsonObject { ["id"] = 400, ["content"] = "<image>", ["special"] = false }));
        var tokenizer = TextTokenizer.FromTokenizerJson(path);
        var ids = tokenizer.Encode("<s>see <image> here");
        Assert.Contains(400, ids);
        Assert.Equal("see <image> here", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal(401, tokenizer.VocabSize);
        Assert.False(tokenizer.SpecialTokens.ContainsKey("<image>"));
        Assert.True(tokenizer.SpecialTokens.ContainsKey("<s>"));
    }

    [Fact]
    public void Longest_added_token_wins()
    {
        var path = TinyTokenizers.WriteJson(_folder, j => j["added_tokens"]!.AsArray().Add(
            new JsonObject { ["id"] = 400, ["content"] = "<s>x", ["special"] = true }));
        var tokenizer = TextTokenizer.FromTokenizerJson(path);
        Assert.Equal([400], tokenizer.Encode("<s>x"));
        Assert.Equal([tokenizer.TokenToId("<s>")!.Value], tokenizer.Encode("<s>"));
    }

    public static TheoryData<string, string> UnsupportedModels() => new()
    {
        { """{"model": {"type": "WordPiece", "vocab": {"a": 0}}}""", "WordPiece" },
        { """{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}""", "Unigram" },
        { """{"model": {"type": "BPE", "byte_fallback": true, "vocab": {"a": 0}, "merges": []}, "decoder": {"type": "ByteFallback"}}""", "not byte-level" },
    };

    [Theory]
    [MemberData(nameof(UnsupportedModels))]
    public void Unsupported_models_fail_naming_the_file_and_the_type(string json, string expected)
    {
        var path = Path.Combine(_folder, "tokenizer.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<NotSupportedException>(() => TextTokenizer.FromTokenizerJson(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    public static TheoryData<string, string> MalformedFiles() => new()
    {
        { """{"model": {"type": "BPE", """, "not valid JSON" },
        { """{"decoder": {"type": "ByteLevel"}}""", "'model'" },
        { """{"model": {"type": "BPE", "merges": []}, "decoder": {"type": "ByteLevel"}}""", "'model.vocab'" },
        { """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a"]}, "decoder": {"type": "ByteLevel"}}""", "'model.merges[0]'" },
        { """{"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}, "decoder": {"type": "ByteLevel"}}""", "'model.vocab.a'" },
        { """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Whitespace"}, "decoder": {"type": "ByteLevel"}}""", "'pre_tokenizer.type'" },
        { """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "normalizer": {"type": "BertNormalizer"}, "decoder": {"type": "ByteLevel"}}""", "'normalizer.type'" },
        { """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "b"]]}, "decoder": {"type": "ByteLevel"}}""", "'model'" },
        { """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "added_tokens": [{"content": "x"}], "decoder": {"type": "ByteLevel"}}""", "'added_tokens[0].id'" },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void Malformed_files_fail_naming_the_file_and_the_key(string json, string expectedKey)
    {
        var path = Path.Combine(_folder, "tokenizer.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromTokenizerJson(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expectedKey, error.Message);
    }
}
