using MMAdapt.Finetune.Data;
using MMAdapt.Models.Chat;
using MMAdapt.Models.Tokenization;
using Xunit;

namespace MMAdapt.Tests.Finetune.Synthetic;

[Collection(nameof(SyntheticDatasetCollection))]
public class SyntheticTokenizerTests(SyntheticDatasetFixture data)
{
    [Fact]
    public void The_tokenizer_loads_with_chat_special_tokens_and_a_chatml_template()
    {
        var tokenizer = TextTokenizer.FromFolder(data.File("tokenizer"));
        Assert.Equal(data.Report.TokenizerVocabSize, tokenizer.VocabSize);
        Assert.InRange(tokenizer.VocabSize, 262, 1000);
        string[] specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|pad|>", "<|im_start|>", "<|im_end|>"];
        Assert.Equal([0, 1, 2, 3, 4], specials.Select(t => tokenizer.TokenToId(t)));
        Assert.Equal((0, 1, 2), (tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.PadTokenId));

        var match = ChatTemplate.Recognize(tokenizer.ChatTemplateSource, "plain");
        Assert.True(match.Recognized, match.Note);
        Assert.Equal("chatml", match.Template.Name);
    }

    [Fact]
    public void Every_dataset_string_and_rendered_conversation_round_trips()
    {
        var tokenizer = TextTokenizer.FromFolder(data.File("tokenizer"));
        var template = ChatTemplate.ByName("chatml");
        var samples = ConversationDataset.Load(data.File("train.jsonl")).Concat(ConversationDataset.Load(data.File("test.jsonl"))).ToList();
        foreach (var text in samples.SelectMany(s => s.Messages).Select(m => m.Content).Distinct())
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        foreach (var sample in samples)
        {
            var rendered = template.Render(sample.Messages, addGenerationPrompt: false, tokenizer);
            var ids = tokenizer.Encode(rendered);
            Assert.Equal(rendered, tokenizer.Decode(ids));
            Assert.Equal(sample.Messages.Count, ids.Count(id => id == tokenizer.TokenToId("<|im_start|>")));
            var encoding = template.Encode(tokenizer, sample.Messages, addGenerationPrompt: false);
            Assert.Equal(ids, encoding.Ids);
        }

        // The dataset's words are learned merges, not byte soup.
        var contents = samples.SelectMany(s => s.Messages).Select(m => m.Content).ToList();
        double charsPerToken = contents.Sum(c => c.Length) / (double)contents.Sum(c => tokenizer.Encode(c).Count);
        Assert.True(charsPerToken > 3, $"{charsPerToken:F2} characters per token");
        Assert.Single(tokenizer.Encode(" sound"));
    }
}
