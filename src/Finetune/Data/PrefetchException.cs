namespace MMAdapt.Finetune.Data;

/// <summary>
/// The producer of a <see cref="Prefetcher{T}"/> failed on one item. The message names the item index and
/// its position in the stream and repeats the producer's message; <see cref="Exception.InnerException"/>
/// is the producer's exception.
/// </summary>
public sealed class PrefetchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="item">The item index given to the producer (e.g. a dataset row index).</param>
    /// <param name="position">The item's position in the stream, from 0.</param>
    /// <param name="count">Items in the stream.</param>
    /// <param name="inner">What the producer threw.</param>
    public PrefetchException(int item, int position, int count, Exception inner)
        : base($"item {item} (position {position} of {count}) failed: {inner.Message}", inner)
    {
        Item = item;
        Position = position;
    }

    /// <summary>The item index given to the producer.</summary>
    public int Item { get; }

    /// <summary>The item's position in the stream, from 0.</summary>
    public int Position { get; }
}
