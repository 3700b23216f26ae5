using System.Diagnostics;
using MMAdapt.Models.Tokenization;
using Microsoft.ML.Tokenizers;
using Xunit;
using Xunit.Abstractions;

namespace MMAdapt.Tests.Models.Tokenization;

/// <summary>Builds the cl100k tokenizer.json once for the test class and loads it both ways.</summary>
public sealed class Cl100kFixture : IDisposable
{
    public Cl100kFixture()
    {
        var watch = Stopwatch.StartNew();
        Folder = Directory.CreateTempSubdirectory("mmadapt-cl100k-").FullName;
        var path = Path.Combine(Folder, "tokenizer.json");
        Unreachable = Cl100kTokenizerJson.Write(path);
        WriteSeconds = watch.Elapsed.TotalSeconds;
        FromJson = TextTokenizer.FromTokenizerJson(path);
        LoadSeconds = watch.Elapsed.TotalSeconds - WriteSeconds;
        Reference = TiktokenTokenizer.CreateForEncoding("cl100k_base");
    }

    public string Folder { get; }

    public int Unreachable { get; }

    public double WriteSeconds { get; }

    public double LoadSeconds { get; }

    public TextTokenizer FromJson { get; }

    public TiktokenTokenizer Reference { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>
/// The tokenizer.json loader (byte-level BPE on Microsoft.ML.Tokenizers' BpeTokenizer plus MMAdapt's
/// pre-tokenizer) against an independent implementation at full vocabulary size: tiktoken's cl100k_base.
/// </summary>
public sealed class TokenizerJsonVersusTiktokenTests(Cl100kFixture fixture, ITestOutputHelper output) : IClassFixture<Cl100kFixture>
{
    [Fact]
    public void Converted_cl100k_has_the_full_vocabulary()
    {
        output.WriteLine($"write {fixture.WriteSeconds:F2}s, load {fixture.LoadSeconds:F2}s, tokens without a merge: {fixture.Unreachable}");
        Assert.Equal(100256 + Cl100kTokenizerJson.Specials.Length, fixture.FromJson.VocabSize);
        Assert.Equal(100257, fixture.FromJson.SpecialTokens["<|endoftext|>"]);
        Assert.Equal(220, fixture.FromJson.TokenToId("Ġ"));
        Assert.Equal("Ġworld", fixture.FromJson.IdToToken(1917));
    }

    [Fact]
    public void At_least_1000_varied_strings_encode_to_the_tiktoken_ids_and_decode_back()
    {
        var strings = TokenizerTestStrings.Generate(1500);
        Assert.True(strings.Count >= 1000);
        var mismatches = new List<string>();
        foreach (var text in strings)
        {
            var expected = fixture.Reference.EncodeToIds(text);
            var actual = fixture.FromJson.Encode(text);
            if (!expected.SequenceEqual(actual))
            {
                mismatches.Add($"{Escape(text)}: tiktoken [{string.Join(",", expected)}] vs tokenizer.json [{string.Join(",", actual)}]");
            }
            else if (fixture.FromJson.Decode(actual) != text)
            {
                mismatches.Add($"{Escape(text)}: decodes to {Escape(fixture.FromJson.Decode(actual))}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {strings.Count} differ:\n" + string.Join("\n", mismatches.Take(20)));
    }

    [Theory]
    [InlineData("hello world", new[] { 15339, 1917 })]
    [InlineData("<|endoftext|>", new[] { 100257 })]
    [InlineData("a<|endoftext|>b", new[] { 64, 100257, 65 })]
    [InlineData("<|fim_prefix|>x<|fim_suffix|>", new[] { 100258, 87, 100260 })]
    public void Special_tokens_written_in_text_encode_to_their_ids(string text, int[] expected)
    {
        Assert.Equal(expected, fixture.FromJson.Encode(text));
        Assert.Equal(fixture.Reference.EncodeToIds(text), fixture.FromJson.Encode(text));
    }

    [Fact]
    public void Special_tokens_decode_with_and_without_skipping()
    {
        const string text = "<|endoftext|>Hello there<|endofprompt|> bye";
        var ids = fixture.FromJson.Encode(text);
        Assert.Equal(text, fixture.FromJson.Decode(ids));
        Assert.Equal("Hello there bye", fixture.FromJson.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Inner_bpe_tokenizer_alone_matches_tiktoken_on_ordinary_text()
    {
        // Inner carries the pre-tokenizer and added tokens but not ignore_merges; on ordinary text BPE reaches the same ids.
        var inner = fixture.FromJson.Inner;
        Assert.IsType<BpeTokenizer>(inner);
        foreach (var text in TokenizerTestStrings.Generate(200))
        {
            Assert.Equal(fixture.Reference.EncodeToIds(text), inner.EncodeToIds(text));
        }
    }

    private static string Escape(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
