using MMAdapt.Models.Tokenization;
using Microsoft.ML.Tokenizers;
using Xunit;

namespace MMAdapt.Tests.Models.Tokenization;

public sealed class TiktokenTests
{
    [Theory]
    [InlineData("gpt-4")]
    [InlineData("cl100k_base")]
    [InlineData("gpt-3.5-turbo-0613")]
    public void Cl100k_names_encode_hello_world_as_15339_1917(string name)
    {
        var tokenizer = TextTokenizer.FromTiktoken(name);
        Assert.IsType<TiktokenTokenizer>(tokenizer.Inner);
        Assert.Equal([15339, 1917], tokenizer.Encode("hello world"));
        Assert.Equal("hello world", tokenizer.Decode([15339, 1917]));
        Assert.Equal(100257, tokenizer.EosTokenId);
        Assert.Null(tokenizer.BosTokenId);
        Assert.Equal("Ġworld", tokenizer.IdToToken(1917));
        Assert.Equal(1917, tokenizer.TokenToId("Ġworld"));
        Assert.Equal(100256 + 5, tokenizer.VocabSize);
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("o200k_base")]
    public void O200k_names_load_and_round_trip(string name)
    {
        var tokenizer = TextTokenizer.FromTiktoken(name);
        var text = "Héllo wörld 👋<|endoftext|>";
        var ids = tokenizer.Encode(text);
        Assert.Equal(199999, ids[^1]);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal("Héllo wörld 👋", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Unknown_name_fails_listing_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => TextTokenizer.FromTiktoken("gpt-17"));
        Assert.Contains("gpt-17", error.Message);
        Assert.Contains("cl100k_base", error.Message);
        Assert.Contains("o200k_base", error.Message);
        Assert.Contains("gpt-4o", error.Message);
    }
}
