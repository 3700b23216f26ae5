using MMAdapt.Models.Chat;
using MMAdapt.Models.Tokenization;
using MMAdapt.Tests.Models.Tokenization;
using Xunit;

namespace MMAdapt.Tests.Models.Chat;

/// <summary>A trained byte-level BPE tokenizer with every chat marker, and the tiny SentencePiece model, shared by the chat tests.</summary>
public sealed class ChatTokenizersFixture : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mmadapt-chat-").FullName;

    public ChatTokenizersFixture()
    {
        Bpe = TinyTokenizers.Chat(_folder);
        var spm = Path.Combine(_folder, "tokenizer.model");
        File.WriteAllBytes(spm, SentencePieceModelWriter.Build());
        SentencePiece = TextTokenizer.FromSentencePiece(spm);
    }

    public TextTokenizer Bpe { get; }

    public TextTokenizer SentencePiece { get; }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

public sealed class ChatTemplateTests(ChatTokenizersFixture tokenizers) : IClassFixture<ChatTokenizersFixture>
{
    private const string Sys = "You are a terse assistant.";
    private const string Question = "What is 2+2?";
    private const string Answer = "4.";

    private static readonly ChatMessage[] ThreeTurns = [ChatMessage.System(Sys), ChatMessage.User(Question), ChatMessage.Assistant(Answer)];

    private static readonly ChatMessage[] FollowUp = [.. ThreeTurns, ChatMessage.User("And 3+3?")];

    // Expected text of each template for the three-turn conversation, with its turns (role, text of the whole
    // turn, text of the loss content) as they decode from the turn spans with the BPE tokenizer.
    public static TheoryData<string, string, string[]> Renderings() => new()
    {
        {
            "llama3",
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a terse assistant.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4.<|eot_id|>",
            [
                "system", "<|start_header_id|>system<|end_header_id|>\n\nYou are a terse assistant.<|eot_id|>", "",
                "user", "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>", "",
                "assistant", "<|start_header_id|>assistant<|end_header_id|>\n\n4.<|eot_id|>", "4.<|eot_id|>",
            ]
        },
        {
            "chatml",
            "<|im_start|>system\nYou are a terse assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4.<|im_end|>\n",
            [
                "system", "<|im_start|>system\nYou are a terse assistant.<|im_end|>\n", "",
                "user", "<|im_start|>user\nWhat is 2+2?<|im_end|>\n", "",
                "assistant", "<|im_start|>assistant\n4.<|im_end|>\n", "4.<|im_end|>",
            ]
        },
        {
            "mistral",
            "<s>[INST] You are a terse assistant.\n\nWhat is 2+2? [/INST] 4.</s>",
            [
                "user", "[INST] You are a terse assistant.\n\nWhat is 2+2? [/INST]", "",
                "assistant", " 4.</s>", " 4.</s>",
            ]
        },
        {
            "llama2",
            "<s>[INST] <<SYS>>\nYou are a terse assistant.\n<</SYS>>\n\nWhat is 2+2? [/INST] 4. </s>",
            [
                "user", "<s>[INST] <<SYS>>\nYou are a terse assistant.\n<</SYS>>\n\nWhat is 2+2? [/INST]", "",
                "assistant", " 4. </s>", " 4. </s>",
            ]
        },
        {
            "plain",
            "You are a terse assistant.\nWhat is 2+2?\n4.</s>",
            [
                "system", "You are a terse assistant.\n", "",
                "user", "What is 2+2?\n", "",
                "assistant", "4.</s>", "4.</s>",
            ]
        },
    };

    // The same conversation as pieces: "§X" is the single token X, "§BOS"/"§EOS" the tokenizer's BOS/EOS,
    // anything else text; "|" starts the next turn, "^" starts and "$" ends the loss content. Text after text is a continuation.
    public static TheoryData<string, string[]> Pieces() => new()
    {
        { "llama3", ["§BOS", "|", "§<|start_header_id|>", "system", "§<|end_header_id|>", "\n\n", Sys, "§<|eot_id|>",
                     "|", "§<|start_header_id|>", "user", "§<|end_header_id|>", "\n\n", Question, "§<|eot_id|>",
                     "|", "§<|start_header_id|>", "assistant", "§<|end_header_id|>", "\n\n", "^", Answer, "§<|eot_id|>", "$"] },
        { "chatml", ["|", "§<|im_start|>", "system\n", Sys, "§<|im_end|>", "\n",
                     "|", "§<|im_start|>", "user\n", Question, "§<|im_end|>", "\n",
                     "|", "§<|im_start|>", "assistant\n", "^", Answer, "§<|im_end|>", "$", "\n"] },
        { "mistral", ["§BOS", "|", $"[INST] {Sys}\n\n{Question} [/INST]", "|", "^", " 4.", "§EOS", "$"] },
        { "llama2", ["|", "§BOS", $"[INST] <<SYS>>\n{Sys}\n<</SYS>>\n\n{Question} [/INST]", "|", "^", " 4. ", "§EOS", "$"] },
        { "plain", ["§BOS", "|", Sys + "\n", "|", Question + "\n", "|", "^", Answer, "§EOS", "$"] },
    };

    [Theory]
    [MemberData(nameof(Renderings))]
    public void Renders_the_three_turn_conversation_exactly(string name, string expected, string[] _)
    {
        Assert.Equal(expected, ChatTemplate.ByName(name).Render(ThreeTurns, addGenerationPrompt: false));
    }

    [Theory]
    [MemberData(nameof(Renderings))]
    public void Turn_spans_cover_exactly_the_turns_and_content_selects_answer_and_end_token(string name, string _, string[] turns)
    {
        var tokenizer = tokenizers.Bpe;
        var encoding = ChatTemplate.ByName(name).Encode(tokenizer, ThreeTurns, addGenerationPrompt: false);
        Assert.Equal(turns.Length / 3, encoding.Turns.Count);
        for (var t = 0; t < encoding.Turns.Count; t++)
        {
            var span = encoding.Turns[t];
            Assert.Equal(turns[3 * t], span.Role);
            Assert.Equal(turns[3 * t + 1], tokenizer.Decode(encoding.Ids.Take(span.End).Skip(span.Start)));
            if (span.Role == ChatMessage.AssistantRole)
            {
                Assert.Equal(turns[3 * t + 2], tokenizer.Decode(encoding.Ids.Take(span.ContentEnd!.Value).Skip(span.ContentStart!.Value)));
            }
            else
            {
                Assert.Null(span.ContentStart);
            }

            if (t > 0)
            {
                Assert.Equal(encoding.Turns[t - 1].End, span.Start);
            }
        }

        // Only a leading BOS may lie outside the turns.
        var before = encoding.Ids.Take(encoding.Turns[0].Start).ToArray();
        Assert.True(before.Length == 0 || before.SequenceEqual([tokenizer.BosTokenId!.Value]));
        Assert.Equal(encoding.Ids.Count, encoding.Turns[^1].End);
        var answer = encoding.Turns[^1];
        Assert.Equal(answer.ContentEnd - answer.ContentStart, encoding.LossMask().Count(x => x));
    }

    [Theory]
    [MemberData(nameof(Pieces))]
    public void Ids_equal_tokenising_the_rendering_piecewise_and_spans_follow_the_pieces(string name, string[] pieces)
    {
        foreach (var tokenizer in TokenizersFor(name))
        {
            var (ids, starts, content) = EncodePieces(tokenizer, pieces);
            var encoding = ChatTemplate.ByName(name).Encode(tokenizer, ThreeTurns, addGenerationPrompt: false);
            Assert.Equal(ids, encoding.Ids);
            Assert.Equal(starts, encoding.Turns.Select(t => t.Start));
            Assert.Equal(content, (encoding.Turns[^1].ContentStart!.Value, encoding.Turns[^1].ContentEnd!.Value));
        }
    }

    [Theory]
    [MemberData(nameof(Pieces))]
    public void For_these_tokenizers_piecewise_ids_equal_encoding_the_whole_rendering(string name, string[] _)
    {
        foreach (var tokenizer in TokenizersFor(name))
        {
            var template = ChatTemplate.ByName(name);
            var rendered = template.Render(ThreeTurns, addGenerationPrompt: false, tokenizer);
            Assert.Equal(tokenizer.Encode(rendered), template.Encode(tokenizer, ThreeTurns, addGenerationPrompt: false).Ids);
        }
    }

    public static TheoryData<string, string> GenerationPrompts() => new()
    {
        { "llama3", "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" },
        { "chatml", "<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n" },
        { "mistral", "4.</s>[INST] And 3+3? [/INST]" },
        { "llama2", "4. </s><s>[INST] And 3+3? [/INST]" },
        { "plain", "4.</s>And 3+3?\n" },
    };

    [Theory]
    [MemberData(nameof(GenerationPrompts))]
    public void Generation_prompt_ends_the_text_and_opens_an_empty_assistant_turn(string name, string expectedEnd)
    {
        var template = ChatTemplate.ByName(name);
        Assert.EndsWith(expectedEnd, template.Render(FollowUp, addGenerationPrompt: true));
        var encoding = template.Encode(tokenizers.Bpe, FollowUp, addGenerationPrompt: true);
        var last = encoding.Turns[^1];
        Assert.Equal(ChatMessage.AssistantRole, last.Role);
        Assert.Equal((encoding.Ids.Count, encoding.Ids.Count, encoding.Ids.Count), (last.End, last.ContentStart!.Value, last.ContentEnd!.Value));
        Assert.Equal(1, encoding.LossMask().Select((loss, i) => loss && (i == 0 || !encoding.LossMask()[i - 1])).Count(x => x));
    }

    [Fact]
    public void Names_and_ByName()
    {
        Assert.Equal(["llama3", "chatml", "mistral", "llama2", "plain"], ChatTemplate.Names);
        Assert.IsType<ChatMLChatTemplate>(ChatTemplate.ByName("ChatML"));
        var error = Assert.Throws<ArgumentException>(() => ChatTemplate.ByName("vicuna"));
        Assert.Contains("vicuna", error.Message);
        Assert.Contains("llama3, chatml, mistral, llama2, plain", error.Message);
    }

    [Fact]
    public void Roles_are_checked()
    {
        var unknown = Assert.Throws<ArgumentException>(() => ChatTemplate.ByName("chatml").Render([new ChatMessage("tool", "x")], false));
        Assert.Contains("messages[0]", unknown.Message);
        Assert.Contains("tool", unknown.Message);
        var order = Assert.Throws<ArgumentException>(() => ChatTemplate.ByName("mistral").Render([ChatMessage.User("a"), ChatMessage.User("b")], false));
        Assert.Contains("messages[1]", order.Message);
    }

    [Fact]
    public void Missing_template_tokens_are_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ChatTemplate.ByName("chatml").Encode(tokenizers.SentencePiece, ThreeTurns, false));
        Assert.Contains("chatml", error.Message);
        Assert.Contains("<|im_start|>", error.Message);
    }

    [Fact]
    public void Layout_segments_can_be_split_further_and_encoded_with_the_shared_encoder()
    {
        // What multimodal code will do: cut a text segment at a placeholder and encode the pieces.
        var layout = ChatTemplate.ByName("chatml").Layout([ChatMessage.User("Look: <image> what is it?")], addGenerationPrompt: true);
        var split = layout.Segments.SelectMany(s => s.Kind == PromptSegmentKind.Text && s.Text.Contains("<image>")
            ? s.Text.Split("<image>").SelectMany((part, i) => i == 0
                ? new[] { s with { Text = part } }
                : [s with { Kind = PromptSegmentKind.Token, Text = "<|endoftext|>" }, s with { Text = part }])
            : [s]).ToList();
        var encoded = PromptSegmentEncoder.Encode(tokenizers.Bpe, split);
        Assert.Equal(split.Count, encoded.Ranges.Count);
        Assert.Equal("<|im_start|>user\nLook: <|endoftext|> what is it?<|im_end|>\n<|im_start|>assistant\n", tokenizers.Bpe.Decode(encoded.Ids));
    }

    private IEnumerable<TextTokenizer> TokenizersFor(string name) =>
        name is "mistral" or "llama2" ? [tokenizers.Bpe, tokenizers.SentencePiece] : [tokenizers.Bpe];

    private static (List<int> Ids, List<int> TurnStarts, (int, int) Content) EncodePieces(TextTokenizer tokenizer, string[] pieces)
    {
        var ids = new List<int>();
        var starts = new List<int>();
        int contentStart = -1, contentEnd = -1;
        var afterText = false;
        foreach (var piece in pieces)
        {
            switch (piece)
            {
                case "|": starts.Add(ids.Count); continue;
                case "^": contentStart = ids.Count; continue;
                case "$": contentEnd = ids.Count; continue;
                case "§BOS": ids.Add(tokenizer.BosTokenId!.Value); afterText = false; continue;
                case "§EOS": ids.Add(tokenizer.EosTokenId!.Value); afterText = false; continue;
                case ['§', .. var token]: ids.Add(tokenizer.TokenToId(token)!.Value); afterText = false; continue;
                default:
                    ids.AddRange(afterText ? tokenizer.EncodeContinuation(piece) : tokenizer.Encode(piece));
                    afterText = true;
                    continue;
            }
        }

        return (ids, starts, (contentStart, contentEnd));
    }
}
