namespace MMAdapt.Models.Chat;

/// <summary>
/// Llama 2 chat, as its reference Hugging Face template writes it:
/// <c>&lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;\n{system}\n&lt;&lt;/SYS&gt;&gt;\n\n{user} [/INST] {answer} &lt;/s&gt;&lt;s&gt;[INST] {user} [/INST]</c>.
/// Every user turn opens with BOS (inside the turn); the system block sits inside the first user turn; the user
/// content (with the system block) and the answer are stripped, and the answer is followed by a space before EOS.
/// </summary>
public sealed class Llama2ChatTemplate : InstChatTemplate
{
    /// <inheritdoc />
    public override string Name => "llama2";

    private protected override void BeginConversation(ChatLayoutBuilder layout)
    {
    }

    private protected override void UserTurn(ChatLayoutBuilder layout, string? system, string user)
    {
        var content = system is null ? user : $"<<SYS>>\n{system}\n<</SYS>>\n\n{user}";
        layout.Bos(DefaultBos).Text($"[INST] {content.Trim()} [/INST]");
    }

    private protected override string AnswerText(string answer) => $" {answer.Trim()} ";
}
