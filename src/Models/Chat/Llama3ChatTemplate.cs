using MMAdapt.Models.Tokenization;

namespace MMAdapt.Models.Chat;

/// <summary>
/// Meta Llama 3 (and 3.1/3.2 without tools):
/// <c>&lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content}&lt;|eot_id|&gt;</c> per message,
/// generation prompt <c>&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n</c>. Content is trimmed, as the
/// reference template's <c>| trim</c> does; BOS (the tokenizer's, <c>&lt;|begin_of_text|&gt;</c>) belongs to no turn.
/// </summary>
public sealed class Llama3ChatTemplate : ChatTemplate
{
    private const string StartHeader = "<|start_header_id|>";
    private const string EndHeader = "<|end_header_id|>";
    private const string EndOfTurn = "<|eot_id|>";

    /// <inheritdoc />
    public override string Name => "llama3";

    /// <inheritdoc />
    public override ChatLayout Layout(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ValidateRoles(messages, instFormat: false);
        var layout = new ChatLayoutBuilder().Bos("<|begin_of_text|>");
        foreach (var message in messages)
        {
            var answer = message.Role == ChatMessage.AssistantRole;
            Header(layout, message.Role);
            layout.Text(message.Content.Trim(), answer).Token(EndOfTurn, answer);
        }

        if (addGenerationPrompt)
        {
            Header(layout, ChatMessage.AssistantRole);
        }

        return layout.Build();
    }

    /// <inheritdoc />
    public override ChatEncoding Encode(TextTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        EncodeLayout(tokenizer, Layout(messages, addGenerationPrompt));

    private static void Header(ChatLayoutBuilder layout, string role) =>
        layout.BeginTurn(role).Token(StartHeader).Text(role).Token(EndHeader).Text("\n\n");
}
