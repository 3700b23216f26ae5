using MMAdapt.Models.Tokenization;
using Xunit;

namespace MMAdapt.Tests.Models.Tokenization;

public sealed class BpeTrainerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mmadapt-bpetrain-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Training_twice_writes_byte_identical_files()
    {
        var first = Path.Combine(_folder, "a");
        var second = Path.Combine(_folder, "b");
        TinyTokenizers.Trainer().TrainFolder(TinyTokenizers.Corpus(), first);
        TinyTokenizers.Trainer().TrainFolder(TinyTokenizers.Corpus(), second);
        Assert.Equal(File.ReadAllBytes(Path.Combine(first, "tokenizer.json")), File.ReadAllBytes(Path.Combine(second, "tokenizer.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(first, "tokenizer_config.json")), File.ReadAllBytes(Path.Combine(second, "tokenizer_config.json")));
    }

    [Fact]
    public void Trained_folder_loads_with_the_target_size_special_ids_and_config()
    {
        TinyTokenizers.Trainer().TrainFolder(TinyTokenizers.Corpus(), _folder);
        var tokenizer = TextTokenizer.FromFolder(_folder);
        Assert.Equal(400, tokenizer.VocabSize);
        for (var i = 0; i < TinyTokenizers.ChatSpecials.Length; i++)
        {
            Assert.Equal(i, tokenizer.SpecialTokens[TinyTokenizers.ChatSpecials[i]]);
        }

        Assert.Equal((1, 2, 0), (tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.PadTokenId));
        Assert.Equal([1, .. tokenizer.Encode("hello")], tokenizer.Encode("hello", addSpecialTokens: true));
    }

    [Fact]
    public void Any_string_round_trips()
    {
        var tokenizer = TextTokenizer.FromTokenizerJson(TinyTokenizers.WriteJson(_folder));
        foreach (var text in TokenizerTestStrings.Generate(400))
        {
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        }
    }

    [Theory]
    [InlineData("The")]
    [InlineData(" the")]
    [InlineData(" tokenizer")]
    [InlineData(" quick")]
    [InlineData(" answer")]
    [InlineData("Hello")]
    public void Common_corpus_words_become_single_tokens(string word)
    {
        var tokenizer = TextTokenizer.FromTokenizerJson(TinyTokenizers.WriteJson(_folder));
        Assert.Single(tokenizer.Encode(word));
    }

    [Fact]
    public void Contradictory_options_are_named()
    {
        Assert.Contains("VocabSize", Assert.Throws<ArgumentException>(() => new BpeTrainer { VocabSize = 100 }.Train(["a"])).Message);
        Assert.Contains("BosToken", Assert.Throws<ArgumentException>(() => new BpeTrainer { BosToken = "<s>" }.Train(["a"])).Message);
    }
}
