using MMAdapt.Models.Tokenization;

namespace MMAdapt.Models.Chat;

/// <summary>
/// Role-less text for base models: the tokenizer's BOS when it adds one by default, then each system or user
/// message followed by a newline, and each assistant message followed by EOS (<c>sys\nquestion\nanswer&lt;/s&gt;</c>).
/// The generation prompt adds nothing but an empty assistant turn.
/// </summary>
public sealed class PlainChatTemplate : ChatTemplate
{
    /// <inheritdoc />
    public override string Name => "plain";

    /// <inheritdoc />
    public override ChatLayout Layout(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ValidateRoles(messages, instFormat: false);
        var layout = new ChatLayoutBuilder().DefaultBos();
        foreach (var message in messages)
        {
            layout.BeginTurn(message.Role);
            if (message.Role == ChatMessage.AssistantRole)
            {
                layout.Text(message.Content, answer: true).Eos("</s>", answer: true);
            }
            else
            {
                layout.Text(message.Content + "\n");
            }
        }

        if (addGenerationPrompt)
        {
            layout.BeginTurn(ChatMessage.AssistantRole);
        }

        return layout.Build();
    }

    /// <inheritdoc />
    public override ChatEncoding Encode(TextTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        EncodeLayout(tokenizer, Layout(messages, addGenerationPrompt));
}
