#if !NET9_0_OR_GREATER
// net8.0 only (the build the notebooks load): System.Collections.Generic.OrderedDictionary<TKey, TValue> is .NET 9+.
// The recipe maps keep their keys in the order the YAML wrote them; this stand-in has the members they use, with the
// same meaning, so the call sites read the same on both targets. net10.0 compiles none of this file.
using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace System.Collections.Generic;

/// <summary>A dictionary that enumerates its entries in insertion order (a net8.0 stand-in for the .NET 9 type).</summary>
/// <remarks>Setting an existing key replaces its value in place; <see cref="Remove(TKey)"/> is O(count).</remarks>
internal sealed class OrderedDictionary<TKey, TValue>(IEqualityComparer<TKey>? comparer = null)
    : IDictionary<TKey, TValue>, IReadOnlyDictionary<TKey, TValue>
    where TKey : notnull
{
    private readonly List<KeyValuePair<TKey, TValue>> entries = [];
    private readonly Dictionary<TKey, int> positions = new(comparer);

    /// <inheritdoc />
    public TValue this[TKey key]
    {
        get => entries[positions[key]].Value;
        set
        {
            if (positions.TryGetValue(key, out var at))
                entries[at] = new(entries[at].Key, value);
            else
                Add(key, value);
        }
    }

    /// <inheritdoc />
    public int Count => entries.Count;

    /// <inheritdoc />
    public bool IsReadOnly => false;

    /// <inheritdoc />
    public ICollection<TKey> Keys => entries.Select(e => e.Key).ToList();

    /// <inheritdoc />
    public ICollection<TValue> Values => entries.Select(e => e.Value).ToList();

    IEnumerable<TKey> IReadOnlyDictionary<TKey, TValue>.Keys => Keys;

    IEnumerable<TValue> IReadOnlyDictionary<TKey, TValue>.Values => Values;

    /// <inheritdoc />
    public void Add(TKey key, TValue value)
    {
        positions.Add(key, entries.Count);
        entries.Add(new(key, value));
    }

    /// <inheritdoc />
    public bool ContainsKey(TKey key) => positions.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (positions.TryGetValue(key, out var at))
        {
            value = entries[at].Value;
            return true;
        }
        value = default;
        return false;
    }

    /// <inheritdoc />
    public bool Remove(TKey key)
    {
        if (!positions.Remove(key, out var at))
            return false;
        entries.RemoveAt(at);
        for (var i = at; i < entries.Count; i++)
            positions[entries[i].Key] = i;
        return true;
    }

    /// <inheritdoc />
    public void Clear()
    {
        entries.Clear();
        positions.Clear();
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    void ICollection<KeyValuePair<TKey, TValue>>.Add(KeyValuePair<TKey, TValue> item) => Add(item.Key, item.Value);

    bool ICollection<KeyValuePair<TKey, TValue>>.Contains(KeyValuePair<TKey, TValue> item) =>
        TryGetValue(item.Key, out var value) && EqualityComparer<TValue>.Default.Equals(value, item.Value);

    void ICollection<KeyValuePair<TKey, TValue>>.CopyTo(KeyValuePair<TKey, TValue>[] array, int arrayIndex) =>
        entries.CopyTo(array, arrayIndex);

    bool ICollection<KeyValuePair<TKey, TValue>>.Remove(KeyValuePair<TKey, TValue> item) =>
        ((ICollection<KeyValuePair<TKey, TValue>>)this).Contains(item) && Remove(item.Key);
}
#endif
