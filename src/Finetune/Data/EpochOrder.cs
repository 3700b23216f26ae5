namespace MMAdapt.Finetune.Data;

/// <summary>
/// The order in which a dataset of <c>count</c> rows is visited in each epoch: a seeded permutation,
/// the same for the same (seed, epoch) on every machine and .NET version (Fisher-Yates driven by
/// <see cref="SplitMix64"/>, not <see cref="Random"/>), and a different one for every epoch.
/// </summary>
public sealed class EpochOrder
{
    private readonly long seed;

    /// <summary>An order over rows <c>0 .. count-1</c>.</summary>
    /// <param name="count">Rows in the dataset (0 allowed: every epoch is empty).</param>
    /// <param name="seed">The run's data seed.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public EpochOrder(int count, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        this.seed = seed;
    }

    /// <summary>Rows in the dataset.</summary>
    public int Count { get; }

    /// <summary>The row indices of epoch <paramref name="epoch"/>, each of <c>0 .. Count-1</c> exactly once.</summary>
    /// <param name="epoch">The epoch, from 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative.</exception>
    public IReadOnlyList<int> ForEpoch(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var order = new int[Count];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        var random = SplitMix64.ForStream(seed, epoch);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
