using MMAdapt.Finetune.Data;
using MMAdapt.Finetune.Multimodal;

namespace MMAdapt.Finetune.Training;

/// <summary>
/// A stage's training examples in their seeded order, decoded and tokenised ahead on background threads
/// (<see cref="Prefetcher{T}"/>) while the trainer computes, so media decoding does not hold up the steps. The
/// <see cref="DataPosition"/> moves only as examples are taken, so a checkpoint records exactly what was consumed and a
/// resumed stage sees the same examples in the same batches as an uninterrupted one.
/// </summary>
public sealed class ExampleStream : IDisposable
{
    private readonly ITrainingExamples examples;
    private readonly DataPosition position;
    private readonly int degree;
    private readonly int capacity;
    private Prefetcher<EncodedSample?>? prefetcher;
    private IEnumerator<EncodedSample?>? ahead;
    private IReadOnlyList<int> expected = [];
    private int taken;

    /// <summary>Streams <paramref name="examples"/> from <paramref name="position"/>.</summary>
    /// <param name="examples">The examples (encoded on worker threads; must be thread-safe).</param>
    /// <param name="position">Where the stage is; moved as examples are taken.</param>
    /// <param name="degree">Worker threads.</param>
    /// <param name="capacity">Examples encoded ahead at most.</param>
    public ExampleStream(ITrainingExamples examples, DataPosition position, int degree, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degree, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, degree);
        this.examples = examples;
        this.position = position;
        this.degree = degree;
        this.capacity = capacity;
    }

    /// <summary>The next <paramref name="size"/> examples that encode (skipped ones, too long for <c>max_seq_len</c>,
    /// are passed over).</summary>
    /// <exception cref="InvalidDataException">Every example is being skipped.</exception>
    public List<EncodedSample> NextBatch(int size)
    {
        var batch = new List<EncodedSample>(size);
        int skipped = 0;
        while (batch.Count < size)
        {
            if (Next() is { } sample)
                batch.Add(sample);
            else if (++skipped > Math.Max(100, 2 * examples.Count) && batch.Count == 0)
                throw new InvalidDataException("every training example is being skipped (longer than max_seq_len?).");
        }
        return batch;
    }

    private EncodedSample? Next()
    {
        if (ahead is null || taken == expected.Count)
            StartEpochRemainder();
        int index = position.Next();
        if (index != expected[taken])
            throw new InvalidOperationException($"the example stream is out of step with the data position (expected {expected[taken]}, at {index}).");
        taken++;
        if (!ahead!.MoveNext())
            throw new InvalidOperationException("the prefetcher ended early.");
        return ahead.Current;
    }

    // Encodes the rest of the current epoch (or the next one, when this one is used up) ahead of the trainer.
    private void StartEpochRemainder()
    {
        Stop();
        expected = position.Remaining();
        taken = 0;
        prefetcher = new Prefetcher<EncodedSample?>(expected, examples.Encode, degree, capacity);
        ahead = prefetcher.GetEnumerator();
    }

    private void Stop()
    {
        ahead?.Dispose();
        prefetcher?.Dispose();
        (ahead, prefetcher) = (null, null);
    }

    /// <summary>Stops the workers; examples encoded but not taken are dropped.</summary>
    public void Dispose() => Stop();
}
