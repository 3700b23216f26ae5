namespace MMAdapt.Finetune.Training;

/// <summary>
/// Where a stage is in its data: the seeded per-epoch order of <see cref="Data.EpochOrder"/> (the same on every machine)
/// and the offset inside the current epoch.
/// </summary>
public sealed class DataPosition
{
    private readonly Data.EpochOrder orders;
    private IReadOnlyList<int> order;

    /// <summary>Starts at epoch 0, offset 0.</summary>
    public DataPosition(int count, long seed)
    {
        orders = new Data.EpochOrder(count, seed);
        order = orders.ForEpoch(0);
    }

    /// <summary>The current epoch.</summary>
    public int Epoch { get; private set; }

    /// <summary>Examples consumed in the current epoch.</summary>
    public int Offset { get; private set; }

    /// <summary>The next example's index (moving to the next epoch when this one is used up).</summary>
    public int Next()
    {
        if (Offset == order.Count)
            MoveTo(Epoch + 1, 0);
        return order[Offset++];
    }

    /// <summary>The indices <see cref="Next"/> will return until the end of the epoch, in order (the whole next epoch
    /// when this one is used up). Does not move the position.</summary>
    public IReadOnlyList<int> Remaining()
    {
        if (Offset == order.Count)
            return orders.ForEpoch(Epoch + 1);
        return order.Skip(Offset).ToList();
    }

    /// <summary>Jumps to a saved position.</summary>
    public void MoveTo(int epoch, int offset)
    {
        if (offset < 0 || offset > orders.Count)
            throw new ArgumentOutOfRangeException(nameof(offset), $"offset {offset} is outside [0, {orders.Count}].");
        if (epoch != Epoch)
            order = orders.ForEpoch(epoch);
        Epoch = epoch;
        Offset = offset;
    }
}
