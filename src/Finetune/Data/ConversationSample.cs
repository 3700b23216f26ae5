using MMAdapt.Models.Chat;

namespace MMAdapt.Finetune.Data;

/// <summary>One conversation of a dataset, checked and with its media resolved.</summary>
/// <param name="Source">The dataset file (absolute path).</param>
/// <param name="Row">1-based: the JSONL line, or the JSON array index + 1.</param>
/// <param name="Messages">The turns, with roles <c>system</c>, <c>user</c>, <c>assistant</c>; placeholders in the text.</param>
/// <param name="Images">Absolute, validated image paths, in the order of the image placeholders.</param>
/// <param name="Audios">Absolute, validated audio paths, in the order of the audio placeholders.</param>
public sealed record ConversationSample(
    string Source, int Row, IReadOnlyList<ChatMessage> Messages, IReadOnlyList<string> Images, IReadOnlyList<string> Audios)
{
    /// <summary>The row's class label (its <c>label</c> key, an integer) for <c>classify</c> stages, or null when it has none.</summary>
    public int? Label { get; init; }

    /// <summary>How errors name the row: <c>"line 7"</c> (JSONL) or <c>"row 4 (index 3)"</c> (JSON array).</summary>
    public string Location { get; init; } = $"row {Row}";
}
