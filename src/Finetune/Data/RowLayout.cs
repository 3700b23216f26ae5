using MMAdapt.Models.Chat;

namespace MMAdapt.Finetune.Data;

/// <summary>
/// Where a dataset format keeps a row's turns and how it names the speakers: the two formats of
/// <see cref="DatasetFormat"/> differ only in these names, so one parser serves both.
/// </summary>
/// <param name="TurnsKey">The key of the list of turns; its presence identifies the format.</param>
/// <param name="RoleKey">The key of a turn's speaker.</param>
/// <param name="ContentKey">The key of a turn's text.</param>
/// <param name="Roles">The speaker names the format writes, each with MMAdapt's role.</param>
internal sealed record RowLayout(string TurnsKey, string RoleKey, string ContentKey, (string Written, string Role)[] Roles)
{
    /// <summary>ShareGPT-style: <c>{"messages": [{"role": "system|user|assistant", "content": "..."}], "images": [...], "audios": [...]}</c>.</summary>
    public static RowLayout ShareGpt { get; } = new("messages", "role", "content",
        [(ChatMessage.SystemRole, ChatMessage.SystemRole), (ChatMessage.UserRole, ChatMessage.UserRole), (ChatMessage.AssistantRole, ChatMessage.AssistantRole)]);

    /// <summary>LLaVA: <c>{"image": "a.png", "conversations": [{"from": "human|gpt|system", "value": "..."}]}</c>.</summary>
    public static RowLayout Llava { get; } = new("conversations", "from", "value",
        [("human", ChatMessage.UserRole), ("gpt", ChatMessage.AssistantRole), ("system", ChatMessage.SystemRole)]);

    /// <summary>The layout of <paramref name="format"/> (not <see cref="DatasetFormat.Auto"/>).</summary>
    public static RowLayout Of(DatasetFormat format) => format == DatasetFormat.Llava ? Llava : ShareGpt;

    /// <summary>
    /// Reads the row's turns and its media: <c>images</c> (a list) or <c>image</c> (a path or a list), likewise
    /// <c>audios</c>/<c>audio</c>, in both formats. Other keys are ignored.
    /// </summary>
    /// <exception cref="DatasetException">A key is missing or of the wrong type, or a speaker is unknown.</exception>
    public ParsedRow Parse(RowReader row)
    {
        var turns = row.RequiredArray(TurnsKey, $"a list of {{\"{RoleKey}\": ..., \"{ContentKey}\": ...}} turns");
        var messages = new List<ChatMessage>(turns.GetArrayLength());
        foreach (var turn in turns.EnumerateArray())
        {
            var where = $"{TurnsKey}[{messages.Count}]";
            var written = row.RequiredString(turn, RoleKey, where);
            var role = Roles.FirstOrDefault(r => r.Written == written).Role
                ?? throw row.Fail($"{where}.{RoleKey} '{written}' is not a known role; expected one of {string.Join(", ", Roles.Select(r => r.Written))}.");
            messages.Add(new ChatMessage(role, row.RequiredString(turn, ContentKey, where)));
        }
        return new ParsedRow(TurnsKey, messages, row.Media("image", "images"), row.Media("audio", "audios"));
    }
}
