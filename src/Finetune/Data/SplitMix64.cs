namespace MMAdapt.Finetune.Data;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014; Vigna's reference <c>splitmix64.c</c>): a tiny 64-bit PRNG whose
/// output depends only on its seed, on every machine and every .NET version, unlike <see cref="Random"/>
/// whose algorithm is not part of its contract. Used for data order and synthetic data.
/// </summary>
/// <remarks>
/// <c>state += 0x9E3779B97F4A7C15; z = state; z = (z ^ (z &gt;&gt; 30)) * 0xBF58476D1CE4E5B9;
/// z = (z ^ (z &gt;&gt; 27)) * 0x94D049BB133111EB; return z ^ (z &gt;&gt; 31)</c>. Not cryptographic; not thread-safe.
/// </remarks>
public sealed class SplitMix64
{
    private const ulong Golden = 0x9E3779B97F4A7C15;
    private ulong state;

    /// <summary>Starts the sequence at <paramref name="seed"/>.</summary>
    public SplitMix64(ulong seed) => state = seed;

    /// <summary>
    /// A generator for one numbered stream of a seed (an epoch, a split, a row): the parts are mixed so that
    /// neighbouring seeds and stream numbers give unrelated sequences.
    /// </summary>
    public static SplitMix64 ForStream(long seed, params ReadOnlySpan<long> stream)
    {
        ulong key = Mix(unchecked((ulong)seed));
        foreach (var part in stream)
            key = Mix(key ^ Mix(unchecked((ulong)part + Golden)));
        return new SplitMix64(key);
    }

    /// <summary>The SplitMix64 finaliser: a bijective 64-bit hash of <paramref name="z"/>.</summary>
    public static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        unchecked
        {
            state += Golden;
            return Mix(state);
        }
    }

    /// <summary>A uniform integer in <c>[0, bound)</c>, without modulo bias (Lemire's multiply-and-reject).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bound"/> is not positive.</exception>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        ulong range = (ulong)bound;
        ulong high = Math.BigMul(NextUInt64(), range, out ulong low);
        if (low < range)
        {
            ulong threshold = unchecked(0 - range) % range; // 2^64 mod range
            while (low < threshold)
                high = Math.BigMul(NextUInt64(), range, out low);
        }
        return (int)high;
    }

    /// <summary>A uniform double in <c>[0, 1)</c> with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>One of <paramref name="items"/>, uniformly.</summary>
    /// <exception cref="ArgumentException"><paramref name="items"/> is empty.</exception>
    public T Pick<T>(IReadOnlyList<T> items)
    {
        if (items.Count == 0)
            throw new ArgumentException("cannot pick from an empty list.", nameof(items));
        return items[NextInt(items.Count)];
    }
}
