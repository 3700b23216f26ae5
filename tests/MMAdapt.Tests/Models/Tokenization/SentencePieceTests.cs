using MMAdapt.Models.Tokenization;
using Xunit;
using static MMAdapt.Tests.Models.Tokenization.SentencePieceModelWriter;

namespace MMAdapt.Tests.Models.Tokenization;

public sealed class SentencePieceTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mmadapt-spm-").FullName;

    public SentencePieceTests() => File.WriteAllBytes(ModelPath, Build());

    private string ModelPath => Path.Combine(_folder, "tokenizer.model");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, int[]> KnownIds() => new()
    {
        { "hello world", [IdOf("▁hello"), IdOf("▁world")] },
        { "hello", [IdOf("▁hello")] },
        { "world hello", [IdOf("▁world"), IdOf("▁hello")] },
        { "hell", [IdOf("▁he"), IdOf("ll")] },
        { " hello", [IdOf("▁"), IdOf("▁hello")] },
        { "é", [IdOf("▁"), ByteOffset + 0xC3, ByteOffset + 0xA9] },
        { "hé", [IdOf("▁h"), ByteOffset + 0xC3, ByteOffset + 0xA9] },
        { "<s>hello</s>", [1, IdOf("▁hello"), 2] },
    };

    [Theory]
    [MemberData(nameof(KnownIds))]
    public void Known_strings_encode_to_ids_derived_from_the_scores(string text, int[] expected)
    {
        var tokenizer = TextTokenizer.FromSentencePiece(ModelPath);
        Assert.Equal(expected, tokenizer.Encode(text));
    }

    [Theory]
    [InlineData("hello world")]
    [InlineData("é")]
    [InlineData("wörld 日本 👍")]
    [InlineData("hello  world\n[INST]")]
    public void Decode_round_trips(string text)
    {
        var tokenizer = TextTokenizer.FromSentencePiece(ModelPath);
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void Bos_is_added_by_default_and_special_tokens_are_skipped_on_request()
    {
        var tokenizer = TextTokenizer.FromSentencePiece(ModelPath);
        Assert.Equal((1, 2, "<s>", "</s>"), (tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.BosToken, tokenizer.EosToken));
        var ids = tokenizer.Encode("hello", addSpecialTokens: true);
        Assert.Equal([1, IdOf("▁hello")], ids);
        Assert.Equal("<s> hello", tokenizer.Decode(ids));
        Assert.Equal("hello", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal(new Dictionary<string, int> { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 }, tokenizer.SpecialTokens);
        Assert.Equal(ByteOffset + 256 + Merged.Length + Singles.Length, tokenizer.VocabSize);
        Assert.Equal("▁hello", tokenizer.IdToToken(IdOf("▁hello")));
        Assert.Equal(IdOf("▁world"), tokenizer.TokenToId("▁world"));
    }

    [Fact]
    public void Continuation_pieces_get_no_dummy_prefix_so_piecewise_ids_match_one_run()
    {
        var tokenizer = TextTokenizer.FromSentencePiece(ModelPath);
        var whole = tokenizer.Encode("hello world");
        var piecewise = tokenizer.Encode("hello").Concat(tokenizer.EncodeContinuation(" world")).ToArray();
        Assert.Equal(whole, piecewise);
        Assert.Equal([IdOf("w"), IdOf("or"), IdOf("ld")], tokenizer.EncodeContinuation("world"));
    }

    [Fact]
    public void Config_overrides_add_bos_and_adds_tokens()
    {
        var config = Path.Combine(_folder, "tokenizer_config.json");
        File.WriteAllText(config, """
            {"add_bos_token": false, "add_eos_token": true,
             "bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
             "added_tokens_decoder": {"1": {"content": "<s>", "special": true}}}
            """);
        var tokenizer = TextTokenizer.FromSentencePiece(ModelPath, config);
        Assert.Equal([IdOf("▁hello"), 2], tokenizer.Encode("hello", addSpecialTokens: true));
    }
}
