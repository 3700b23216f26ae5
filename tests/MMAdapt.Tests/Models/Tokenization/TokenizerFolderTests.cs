using System.Text.Json.Nodes;
using MMAdapt.Models.Tokenization;
using Xunit;

namespace MMAdapt.Tests.Models.Tokenization;

public sealed class TokenizerFolderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mmadapt-tokdir-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Missing_folder_and_missing_files_are_named()
    {
        var missing = Path.Combine(_folder, "nope");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => TextTokenizer.FromFolder(missing)).Message);

        var error = Assert.Throws<FileNotFoundException>(() => TextTokenizer.FromFolder(_folder));
        Assert.Contains(_folder, error.Message);
        Assert.Contains("tokenizer.json", error.Message);
        Assert.Contains("tokenizer.model", error.Message);
    }

    [Fact]
    public void Config_tokens_as_strings_or_objects_chat_template_and_special_tokens_map()
    {
        TinyTokenizers.WriteJson(_folder);
        File.WriteAllText(Path.Combine(_folder, "tokenizer_config.json"), """
            {"add_bos_token": true, "bos_token": {"content": "<|begin_of_text|>", "lstrip": false, "special": true},
             "pad_token": "<|endoftext|>", "chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}"}
            """);
        File.WriteAllText(Path.Combine(_folder, "special_tokens_map.json"), """{"eos_token": {"content": "<|im_end|>"}, "bos_token": "<s>"}""");
        var tokenizer = TextTokenizer.FromFolder(_folder);

        Assert.Equal("<|begin_of_text|>", tokenizer.BosToken); // tokenizer_config.json wins
        Assert.Equal("<|im_end|>", tokenizer.EosToken); // from special_tokens_map.json
        Assert.Equal(tokenizer.TokenToId("<|endoftext|>"), tokenizer.PadTokenId);
        Assert.StartsWith("{% for m in messages %}", tokenizer.ChatTemplateSource);
        Assert.Equal(tokenizer.BosTokenId, tokenizer.Encode("hi", addSpecialTokens: true)[0]);
        Assert.Equal("<|begin_of_text|>", tokenizer.IdToToken(tokenizer.BosTokenId!.Value));
        Assert.Equal("<|im_end|>", tokenizer.IdToToken(tokenizer.EosTokenId!.Value));
    }

    [Fact]
    public void Named_chat_templates_pick_default()
    {
        TinyTokenizers.WriteJson(_folder);
        File.WriteAllText(Path.Combine(_folder, "tokenizer_config.json"),
            """{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}""");
        Assert.Equal("D", TextTokenizer.FromFolder(_folder).ChatTemplateSource);
    }

    [Fact]
    public void Config_token_missing_from_the_vocabulary_is_named()
    {
        TinyTokenizers.WriteJson(_folder);
        var config = Path.Combine(_folder, "tokenizer_config.json");
        File.WriteAllText(config, """{"bos_token": "<nope>"}""");
        var error = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromFolder(_folder));
        Assert.Contains(config, error.Message);
        Assert.Contains("bos_token '<nope>'", error.Message);
    }

    [Fact]
    public void SentencePiece_style_tokenizer_json_falls_back_to_tokenizer_model()
    {
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"),
            """{"model": {"type": "BPE", "byte_fallback": true, "vocab": {"a": 0}, "merges": []}, "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}]}}""");
        File.WriteAllBytes(Path.Combine(_folder, "tokenizer.model"), SentencePieceModelWriter.Build());
        var tokenizer = TextTokenizer.FromFolder(_folder);
        Assert.Equal([SentencePieceModelWriter.IdOf("▁hello")], tokenizer.Encode("hello"));
    }

    [Fact]
    public void Unsupported_tokenizer_json_without_tokenizer_model_is_named()
    {
        TinyTokenizers.WriteJson(_folder, j => j["model"]!["type"] = "WordPiece");
        var error = Assert.Throws<NotSupportedException>(() => TextTokenizer.FromFolder(_folder));
        Assert.Contains(Path.Combine(_folder, "tokenizer.json"), error.Message);
        Assert.Contains("WordPiece", error.Message);
    }

    [Fact]
    public void Byte_alphabet_maps_space_newline_and_tab_like_gpt2()
    {
        Assert.Equal("Ġ", ByteLevelAlphabet.FromText(" "));
        Assert.Equal("Ċ", ByteLevelAlphabet.FromText("\n"));
        Assert.Equal("ĉ", ByteLevelAlphabet.FromText("\t"));
        Assert.Equal("Ã©", ByteLevelAlphabet.FromText("é"));
        Assert.Equal(256, ByteLevelAlphabet.Characters.Distinct().Count());
    }
}
