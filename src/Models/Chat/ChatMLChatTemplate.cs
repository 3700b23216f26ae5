using MMAdapt.Models.Tokenization;

namespace MMAdapt.Models.Chat;

/// <summary>
/// ChatML as Qwen2 uses it: <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c> per message, generation prompt
/// <c>&lt;|im_start|&gt;assistant\n</c>; content is not trimmed. Unlike Qwen2's own template, no default system prompt
/// ("You are a helpful assistant.") is injected when the conversation has none: pass one explicitly.
/// The newline after <c>&lt;|im_end|&gt;</c> belongs to the turn but not to the loss content.
/// </summary>
public sealed class ChatMLChatTemplate : ChatTemplate
{
    private const string Start = "<|im_start|>";
    private const string End = "<|im_end|>";

    /// <inheritdoc />
    public override string Name => "chatml";

    /// <inheritdoc />
    public override ChatLayout Layout(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ValidateRoles(messages, instFormat: false);
        var layout = new ChatLayoutBuilder();
        foreach (var message in messages)
        {
            var answer = message.Role == ChatMessage.AssistantRole;
            layout.BeginTurn(message.Role).Token(Start).Text(message.Role + "\n")
                .Text(message.Content, answer).Token(End, answer)
                .Text("\n");
        }

        if (addGenerationPrompt)
        {
            layout.BeginTurn(ChatMessage.AssistantRole).Token(Start).Text(ChatMessage.AssistantRole + "\n");
        }

        return layout.Build();
    }

    /// <inheritdoc />
    public override ChatEncoding Encode(TextTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        EncodeLayout(tokenizer, Layout(messages, addGenerationPrompt));
}
