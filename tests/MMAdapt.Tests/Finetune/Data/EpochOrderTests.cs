using MMAdapt.Finetune.Data;
using Xunit;

namespace MMAdapt.Tests.Finetune.Data;

public class EpochOrderTests
{
    [Fact]
    public void SplitMix64_matches_the_reference_implementation()
    {
        // Outputs of Vigna's splitmix64.c (and Java's SplittableRandom) seeded with 1234567.
        var random = new SplitMix64(1234567);
        ulong[] expected = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821];
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => random.NextUInt64()).ToArray());
    }

    [Fact]
    public void NextInt_stays_in_range_and_covers_it()
    {
        var random = new SplitMix64(7);
        var seen = new int[7];
        for (int i = 0; i < 7000; i++)
            seen[random.NextInt(7)]++;
        Assert.All(seen, n => Assert.InRange(n, 850, 1150));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt(0));
    }

    [Fact]
    public void Each_epoch_is_a_permutation_fixed_by_seed_and_epoch()
    {
        var order = new EpochOrder(100, seed: 42);
        var first = order.ForEpoch(0);
        Assert.Equal(Enumerable.Range(0, 100), first.Order());
        Assert.Equal(first, new EpochOrder(100, 42).ForEpoch(0));
        Assert.NotEqual(first, order.ForEpoch(1));
        Assert.NotEqual(first, new EpochOrder(100, 43).ForEpoch(0));
        Assert.NotEqual(Enumerable.Range(0, 100), first);
    }

    [Fact]
    public void The_order_is_pinned_so_a_changed_shuffle_is_noticed()
    {
        // Golden values from an independent Python port of SplitMix64.ForStream + Lemire + Fisher-Yates:
        // the same on every machine and .NET version (no System.Random).
        Assert.Equal([6, 1, 3, 5, 4, 9, 8, 7, 2, 0], new EpochOrder(10, 42).ForEpoch(0));
        Assert.Equal([3, 6, 7, 5, 2, 1, 9, 8, 4, 0], new EpochOrder(10, 42).ForEpoch(3));
    }

    [Fact]
    public void Empty_and_single_datasets_and_bad_arguments()
    {
        Assert.Empty(new EpochOrder(0, 1).ForEpoch(5));
        Assert.Equal([0], new EpochOrder(1, 1).ForEpoch(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochOrder(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochOrder(3, 1).ForEpoch(-1));
    }
}
