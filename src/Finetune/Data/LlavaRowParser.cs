using MMAdapt.Models.Chat;

namespace MMAdapt.Finetune.Data;

/// <summary>
/// Reads a LLaVA instruction row: <c>{"id": ..., "image": "a.png", "conversations": [{"from": "human|gpt|system",
/// "value": "&lt;image&gt;\n..."}]}</c>. <c>human</c> becomes <c>user</c>, <c>gpt</c> <c>assistant</c>. <c>"image"</c> may
/// be a list (multi-image variants); <c>"images"</c>, <c>"audio"</c> and <c>"audios"</c> are read as for ShareGPT.
/// </summary>
internal static class LlavaRowParser
{
    /// <summary>The key that identifies the format.</summary>
    public const string TurnsKey = "conversations";

    private static readonly (string From, string Role)[] Speakers =
        [("human", ChatMessage.UserRole), ("gpt", ChatMessage.AssistantRole), ("system", ChatMessage.SystemRole)];

    /// <summary>Parses the row.</summary>
    /// <exception cref="DatasetException">A key is missing or of the wrong type, or a speaker is unknown.</exception>
    public static ParsedRow Parse(RowReader row)
    {
        var turns = row.RequiredArray(TurnsKey, "a list of {\"from\": ..., \"value\": ...} turns");
        var messages = new List<ChatMessage>(turns.GetArrayLength());
        foreach (var turn in turns.EnumerateArray())
        {
            var where = $"{TurnsKey}[{messages.Count}]";
            var from = row.RequiredString(turn, "from", where);
            var role = Speakers.FirstOrDefault(s => s.From == from).Role
                ?? throw row.Fail($"{where} has unknown speaker '{from}'; expected one of {string.Join(", ", Speakers.Select(s => s.From))}.");
            messages.Add(new ChatMessage(role, row.RequiredString(turn, "value", where)));
        }
        return new ParsedRow(TurnsKey, messages, row.Media("image", "images"), row.Media("audio", "audios"));
    }
}
