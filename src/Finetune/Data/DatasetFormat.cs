namespace MMAdapt.Finetune.Data;

/// <summary>The layout of a conversation dataset's rows (see <see cref="ConversationDataset"/>).</summary>
public enum DatasetFormat
{
    /// <summary>Decided per file from its first row: <c>messages</c> means ShareGPT, <c>conversations</c> LLaVA.</summary>
    Auto,

    /// <summary>
    /// <c>{"messages": [{"role": "system|user|assistant", "content": "..."}], "images": [...], "audios": [...]}</c>
    /// (single <c>"image"</c> / <c>"audio"</c> strings also accepted).
    /// </summary>
    ShareGpt,

    /// <summary>
    /// LLaVA's instruction data: <c>{"id": ..., "image": "a.png", "conversations": [{"from": "human|gpt|system", "value": "&lt;image&gt;\n..."}]}</c>
    /// (<c>"image"</c> may also be a list; <c>"audio"</c>/<c>"audios"</c> are read as for ShareGPT).
    /// </summary>
    Llava,
}
