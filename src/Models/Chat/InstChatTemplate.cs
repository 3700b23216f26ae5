using MMAdapt.Models.Tokenization;

namespace MMAdapt.Models.Chat;

/// <summary>
/// The shared shape of the <c>[INST]</c> formats (Llama 2 chat, Mistral instruct): an optional system message,
/// then user/assistant alternating; a user turn is <c>[INST] {user} [/INST]</c> and an assistant turn is
/// <c> {answer}</c> followed by EOS. Subclasses place BOS and the system prompt and choose trimming.
/// With a SentencePiece tokenizer, the answer's leading space is the dummy-prefix space of <c>▁answer</c>.
/// There is nothing to append for a generation prompt: the prompt already ends in <c>[/INST]</c>, so it only
/// adds an empty assistant turn to the spans.
/// </summary>
public abstract class InstChatTemplate : ChatTemplate
{
    /// <summary>Default BOS text (the tokenizer's is used when encoding).</summary>
    protected const string DefaultBos = "<s>";

    /// <summary>Default EOS text (the tokenizer's is used when encoding).</summary>
    protected const string DefaultEos = "</s>";

    /// <inheritdoc />
    public override ChatLayout Layout(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ValidateRoles(messages, instFormat: true);
        var system = messages.Count > 0 && messages[0].Role == ChatMessage.SystemRole ? messages[0].Content : null;
        var layout = new ChatLayoutBuilder();
        BeginConversation(layout);
        var firstUser = true;
        foreach (var message in messages.Skip(system is null ? 0 : 1))
        {
            layout.BeginTurn(message.Role);
            if (message.Role == ChatMessage.UserRole)
            {
                UserTurn(layout, firstUser ? system : null, message.Content);
                firstUser = false;
            }
            else
            {
                layout.Text(AnswerText(message.Content), answer: true).Eos(DefaultEos, answer: true);
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

    /// <summary>Adds what comes before the first turn (e.g. BOS).</summary>
    private protected abstract void BeginConversation(ChatLayoutBuilder layout);

    /// <summary>Adds a user turn's segments; <paramref name="system"/> is set for the first user turn only.</summary>
    private protected abstract void UserTurn(ChatLayoutBuilder layout, string? system, string user);

    /// <summary>The assistant turn's text before EOS.</summary>
    private protected abstract string AnswerText(string answer);
}
