using System.Text.RegularExpressions;
using MMAdapt.Finetune.Pretraining;
using MMAdapt.Models;
using MMAdapt.Models.Generation;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune;

public class TinyLanguageModelPretrainerTests
{
    private static readonly TinyLanguageModelOptions Fast = new() { Steps = 40, Sentences = 600 };

    [Fact]
    public void Fast_pretraining_learns_and_two_runs_write_identical_files()
    {
        using var temp = new TempFolder();
        var a = TinyLanguageModelPretrainer.Pretrain(temp.File("a"), Fast);
        var b = TinyLanguageModelPretrainer.Pretrain(temp.File("b"), Fast);
        Assert.True(a.FinalLoss < a.FirstLoss - 2.0, $"loss {a.FirstLoss:F3} -> {a.FinalLoss:F3} did not drop by 2 nats");
        Assert.Equal(a.FinalLoss, b.FinalLoss);
        var files = Directory.GetFiles(temp.File("a")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"], files);
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(temp.File("a"), file)).AsSpan()
                .SequenceEqual(File.ReadAllBytes(Path.Combine(temp.File("b"), file))), $"{file} differs between runs");

        using var lm = LanguageModel.Load(temp.File("a"));
        Assert.Equal(a.Parameters, MMAdapt.Core.Modules.ModuleParameters.Unique(lm.Decoder).Sum(p => p.numel()));
    }

    [Fact]
    public void The_conversation_model_speaks_chatml_and_two_runs_write_identical_files()
    {
        using var temp = new TempFolder();
        var fast = Fast with { Steps = 30, Sentences = 300 };
        var a = TinyLanguageModelPretrainer.PretrainOnConversations(temp.File("a"), fast);
        TinyLanguageModelPretrainer.PretrainOnConversations(temp.File("b"), fast);
        Assert.True(a.FinalLoss < a.FirstLoss - 2.0, $"loss {a.FirstLoss:F3} -> {a.FinalLoss:F3} did not drop by 2 nats");
        foreach (var file in Directory.GetFiles(temp.File("a")).Select(Path.GetFileName))
            Assert.True(File.ReadAllBytes(Path.Combine(temp.File("a"), file!)).AsSpan()
                .SequenceEqual(File.ReadAllBytes(Path.Combine(temp.File("b"), file!))), $"{file} differs between runs");

        // The dataset's tokenizer: ChatML's turn tokens, its chat template recognised as chatml, no placeholder text.
        using var lm = LanguageModel.Load(temp.File("a"));
        var tokenizer = lm.RequireTokenizer();
        Assert.NotNull(tokenizer.TokenToId("<|im_end|>"));
        Assert.Equal("chatml", MMAdapt.Models.Chat.ChatTemplate.Recognize(tokenizer.ChatTemplateSource!, "plain").Template.Name);
        Assert.Contains("<|im_end|>", lm.StopTokenIds.Select(id => tokenizer.IdToToken(id)));
    }

    [Fact]
    public void Different_seeds_give_different_models()
    {
        using var temp = new TempFolder();
        TinyLanguageModelPretrainer.Pretrain(temp.File("a"), Fast);
        TinyLanguageModelPretrainer.Pretrain(temp.File("b"), Fast with { Seed = 1 });
        Assert.False(File.ReadAllBytes(temp.File("a/model.safetensors")).AsSpan().SequenceEqual(File.ReadAllBytes(temp.File("b/model.safetensors"))));
    }

    [Fact]
    public void The_shipped_tiny_model_completes_sentences_of_its_corpus_grammar()
    {
        using var lm = LanguageModel.Load(FixturePaths.Of("tiny-llama"));
        var colour = string.Join("|", ShapeSentences.Colours);
        var shape = string.Join("|", ShapeSentences.Shapes);
        var place = new Regex($"^ (above|below|left of|right of|next to) the ({colour}) ({shape})\\.$");
        var options = new GenerationOptions { MaxNewTokens = 16 };
        foreach (var c in new[] { "red", "blue", "green" })
            Assert.Matches(place, lm.Complete($"the {c} circle is", options));
        Assert.Matches(new Regex($"^ ({colour}) ({shape})s in the picture\\.$"), lm.Complete("there are three", options));
        // It stops at its EOS token (generation_config.json) instead of running to the limit.
        var ids = lm.Generate(lm.RequireTokenizer().Encode("the red circle is", addSpecialTokens: true), options);
        Assert.Equal(lm.RequireTokenizer().EosTokenId, ids[^1]);
    }

    [Fact]
    public void The_shipped_tokenizer_is_what_the_documented_command_trains()
    {
        using var temp = new TempFolder();
        // Tokenizer training is pure managed code: identical on every machine.
        var trained = TinyLanguageModelPretrainer.Pretrain(temp.Path, new TinyLanguageModelOptions { Steps = 1 });
        Assert.Equal(File.ReadAllText(FixturePaths.Of("tiny-llama", "tokenizer.json")), File.ReadAllText(temp.File("tokenizer.json")));
        Assert.Equal(File.ReadAllText(FixturePaths.Of("tiny-llama", "config.json")), File.ReadAllText(temp.File("config.json")));
    }
}
