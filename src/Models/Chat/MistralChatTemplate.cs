namespace MMAdapt.Models.Chat;

/// <summary>
/// Mistral instruct (v0.1/v0.2 style, mistral_common's first tokenizer version):
/// <c>&lt;s&gt;[INST] {system}\n\n{user} [/INST] {answer}&lt;/s&gt;[INST] {user} [/INST]</c>. One BOS opens the
/// conversation (outside every turn); the system prompt is prepended to the first user message with a blank line;
/// content is not trimmed.
/// </summary>
public sealed class MistralChatTemplate : InstChatTemplate
{
    /// <inheritdoc />
    public override string Name => "mistral";

    private protected override void BeginConversation(ChatLayoutBuilder layout) => layout.Bos(DefaultBos);

    private protected override void UserTurn(ChatLayoutBuilder layout, string? system, string user) =>
        layout.Text($"[INST] {(system is null ? "" : system + "\n\n")}{user} [/INST]");

    private protected override string AnswerText(string answer) => " " + answer;
}
