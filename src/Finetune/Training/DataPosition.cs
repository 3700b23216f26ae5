namespace MMAdapt.Finetune.Training;

/// <summary>
/// Where a stage is in its data: a seeded permutation per epoch (Fisher–Yates over SplitMix64, the same on every
/// machine and .NET version, unlike System.Random) and the offset inside the current epoch.
/// </summary>
public sealed class DataPosition
{
    private readonly int count;
    private readonly long seed;
    private int[] order;

    /// <summary>Starts at epoch 0, offset 0.</summary>
    public DataPosition(int count, long seed)
    {
        if (count <= 0)
            throw new ArgumentOutOfRangeException(nameof(count), "a data set needs at least one example.");
        this.count = count;
        this.seed = seed;
        order = Permutation(count, seed, 0);
    }

    /// <summary>The current epoch.</summary>
    public int Epoch { get; private set; }

    /// <summary>Examples consumed in the current epoch.</summary>
    public int Offset { get; private set; }

    /// <summary>The next example's index (moving to the next epoch when this one is used up).</summary>
    public int Next()
    {
        if (Offset == count)
            MoveTo(Epoch + 1, 0);
        return order[Offset++];
    }

    /// <summary>Jumps to a saved position.</summary>
    public void MoveTo(int epoch, int offset)
    {
        if (offset < 0 || offset > count)
            throw new ArgumentOutOfRangeException(nameof(offset), $"offset {offset} is outside [0, {count}].");
        if (epoch != Epoch || order.Length == 0)
            order = Permutation(count, seed, epoch);
        Epoch = epoch;
        Offset = offset;
    }

    /// <summary>The seeded order of epoch <paramref name="epoch"/>.</summary>
    public static int[] Permutation(int count, long seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        ulong state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch + 1);
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(SplitMix64(ref state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static ulong SplitMix64(ref ulong state)
    {
        unchecked
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
