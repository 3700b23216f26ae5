using MMAdapt.Models.Chat;

namespace MMAdapt.Finetune.Data;

/// <summary>
/// Reads a ShareGPT-style row: <c>{"messages": [{"role": "system|user|assistant", "content": "..."}],
/// "images": [...], "audios": [...]}</c>, with <c>"image"</c>/<c>"audio"</c> accepted for single items.
/// Other keys are ignored.
/// </summary>
internal static class ShareGptRowParser
{
    /// <summary>The key that identifies the format.</summary>
    public const string TurnsKey = "messages";

    private static readonly string[] Roles = [ChatMessage.SystemRole, ChatMessage.UserRole, ChatMessage.AssistantRole];

    /// <summary>Parses the row.</summary>
    /// <exception cref="DatasetException">A key is missing or of the wrong type, or a role is unknown.</exception>
    public static ParsedRow Parse(RowReader row)
    {
        var turns = row.RequiredArray(TurnsKey, "a list of {\"role\": ..., \"content\": ...} messages");
        var messages = new List<ChatMessage>(turns.GetArrayLength());
        foreach (var turn in turns.EnumerateArray())
        {
            var where = $"{TurnsKey}[{messages.Count}]";
            var role = row.RequiredString(turn, "role", where);
            if (!Roles.Contains(role, StringComparer.Ordinal))
                throw row.Fail($"{where} has unknown role '{role}'; expected one of {string.Join(", ", Roles)}.");
            messages.Add(new ChatMessage(role, row.RequiredString(turn, "content", where)));
        }
        return new ParsedRow(TurnsKey, messages, row.Media("image", "images"), row.Media("audio", "audios"));
    }
}
