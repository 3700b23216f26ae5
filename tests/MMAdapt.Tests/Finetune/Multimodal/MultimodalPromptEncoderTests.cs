using MMAdapt.Core.Diagnostics;
using MMAdapt.Core.Modules;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Models.Chat;
using MMAdapt.Models.Tokenization;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Multimodal;

[Collection(nameof(MMAdapt.Tests.Models.LogSinkCollection))]
public class MultimodalPromptEncoderTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.FromFolder(FixturePaths.Of("tiny-llama"));

    private static PreparedMedia Media(Modality modality, int tokens = 3) => new(modality, $"{modality}.file", [], [1], tokens);

    private static MultimodalPromptEncoder Encoder(int max = 256, TruncationPolicy policy = TruncationPolicy.Drop) =>
        new(Tokenizer, ChatTemplate.ByName("plain"), max, policy);

    [Fact]
    public void Placeholders_become_slots_and_only_answers_carry_labels()
    {
        var messages = new[] { ChatMessage.User("look <image> and listen <audio> now"), ChatMessage.Assistant("the red circle.") };
        var sample = Encoder().Encode(messages, [Media(Modality.Image, 4), Media(Modality.Audio, 2)], m => m.EncoderTokens, "row 1")!;

        Assert.Equal(2, sample.Slots.Count);
        var image = sample.Slots[0];
        var audio = sample.Slots[1];
        Assert.Equal((4, Modality.Image), (image.Count, image.Media.Modality));
        Assert.Equal((2, Modality.Audio), (audio.Count, audio.Media.Modality));
        Assert.True(audio.Start > image.Start + image.Count);
        for (int t = 0; t < sample.Length; t++)
        {
            bool inImage = t >= image.Start && t < image.Start + image.Count;
            bool inAudio = t >= audio.Start && t < audio.Start + audio.Count;
            Assert.Equal(inImage ? (long)Modality.Image : inAudio ? (long)Modality.Audio : (long)Modality.Text, sample.Modalities[t]);
            if (inImage || inAudio)
                Assert.Equal(EncodedSample.IgnoreIndex, sample.Labels[t]);
        }
        // The text around the slots tokenises as the pieces do, and the labels are exactly the answer plus EOS.
        var labelled = sample.Labels.Where(l => l != EncodedSample.IgnoreIndex).ToArray();
        Assert.Equal([.. Tokenizer.Encode("the red circle."), Tokenizer.EosTokenId!.Value], labelled);
        var before = Tokenizer.Encode("look ");
        Assert.Equal(before, sample.Ids[(image.Start - before.Count)..image.Start]);
        Assert.True(sample.PromptMask.Take(image.Start).Count(p => p) > 0);
    }

    [Fact]
    public void Mismatched_placeholders_and_media_name_the_row()
    {
        var messages = new[] { ChatMessage.User("<image> <image> what?"), ChatMessage.Assistant("two.") };
        var e = Assert.Throws<InvalidDataException>(() => Encoder().Encode(messages, [Media(Modality.Image)], m => 1, "data.jsonl row 7"));
        Assert.Contains("data.jsonl row 7", e.Message);
        Assert.Contains("more <image> placeholders than attached media (1)", e.Message);
        var wrongKind = Assert.Throws<InvalidDataException>(() => Encoder().Encode([ChatMessage.User("<audio> hm"), ChatMessage.Assistant("ok.")],
            [Media(Modality.Image)], m => 1, "row 3"));
        Assert.Contains("placeholder 1 is <audio> but media item 1 (Image.file) is image", wrongKind.Message);
        var extra = Assert.Throws<InvalidDataException>(() => Encoder().Encode([ChatMessage.User("no placeholder"), ChatMessage.Assistant("ok.")],
            [Media(Modality.Image)], m => 1, "row 4"));
        Assert.Contains("1 media item(s) attached but 0 placeholder(s)", extra.Message);
    }

    [Fact]
    public void Truncation_never_cuts_through_media()
    {
        var messages = new[] { ChatMessage.User("<image> describe"), ChatMessage.Assistant("a long answer about the red circle on the left of the square.") };
        var full = Encoder().Encode(messages, [Media(Modality.Image, 10)], m => m.EncoderTokens, "row")!;

        // Cutting the tail after the media keeps the sample (shorter, some answer left).
        var cut = Encoder(full.Length - 3).Encode(messages, [Media(Modality.Image, 10)], m => m.EncoderTokens, "row")!;
        Assert.Equal(full.Length - 3, cut.Length);
        Assert.Equal(full.Ids.Take(cut.Length), cut.Ids);

        // A limit inside the media slots drops the sample with a warning, or fails by policy.
        var warnings = new List<string>();
        var previous = Log.WarningSink;
        Log.WarningSink = warnings.Add;
        try
        {
            Assert.Null(Encoder(8).Encode(messages, [Media(Modality.Image, 10)], m => m.EncoderTokens, "data.jsonl row 2"));
        }
        finally
        {
            Log.WarningSink = previous;
        }
        Assert.Contains("data.jsonl row 2", Assert.Single(warnings));
        var e = Assert.Throws<InvalidDataException>(() => Encoder(8, TruncationPolicy.Error).Encode(messages, [Media(Modality.Image, 10)], m => m.EncoderTokens, "row 9"));
        Assert.Contains("exceed max_seq_len 8 and media run to token", e.Message);
    }
}
