using MMAdapt.Core.Modules;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>A media item's place in a token sequence: <see cref="Count"/> slots from <see cref="Start"/>, filled with the
/// connector's output for <see cref="Media"/>.</summary>
public sealed record MediaSlot(int Start, int Count, PreparedMedia Media);

/// <summary>
/// One conversation ready for batching: token ids with media slots expanded, per-token labels (<see cref="IgnoreIndex"/>
/// where no loss is taken) and modalities, and the prepared media.
/// </summary>
/// <param name="Ids">Token ids; media slots hold the pad id (their embeddings are replaced).</param>
/// <param name="Labels">The id to predict at each position, or <see cref="IgnoreIndex"/>.</param>
/// <param name="Modalities">Per-token <see cref="Modality"/> ids.</param>
/// <param name="PromptMask">True for text tokens outside the answers (their mean embedding is the sample's routing key).</param>
/// <param name="Slots">The media slots in sequence order.</param>
/// <param name="Source">Dataset file and row, for messages.</param>
public sealed record EncodedSample(int[] Ids, int[] Labels, long[] Modalities, bool[] PromptMask, IReadOnlyList<MediaSlot> Slots, string Source)
{
    /// <summary>The label of positions without loss (PyTorch's cross-entropy default).</summary>
    public const int IgnoreIndex = -100;

    /// <summary>The class label of a <c>classify</c> stage (the dataset row's <c>label</c>), or null.</summary>
    public int? ClassLabel { get; init; }

    /// <summary>Sequence length.</summary>
    public int Length => Ids.Length;
}
