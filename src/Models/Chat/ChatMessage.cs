namespace MMAdapt.Models.Chat;

/// <summary>One message of a conversation.</summary>
/// <param name="Role"><c>system</c>, <c>user</c> or <c>assistant</c> (see <see cref="SystemRole"/> and friends).</param>
/// <param name="Content">The message text.</param>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>The role of a system prompt.</summary>
    public const string SystemRole = "system";

    /// <summary>The role of the user's turns.</summary>
    public const string UserRole = "user";

    /// <summary>The role of the model's answers (the turns training puts loss on).</summary>
    public const string AssistantRole = "assistant";

    /// <summary>A system message.</summary>
    public static ChatMessage System(string content) => new(SystemRole, content);

    /// <summary>A user message.</summary>
    public static ChatMessage User(string content) => new(UserRole, content);

    /// <summary>An assistant message.</summary>
    public static ChatMessage Assistant(string content) => new(AssistantRole, content);
}
