using System.Collections;
using System.Collections.ObjectModel;
using System.Text.Json.Nodes;
using MMAdapt.Adapters.Targeting;

namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// Value equality for the members of recipe records that C# records would compare by reference: lists, maps,
/// <see cref="JsonObject"/> settings and <see cref="ModuleSelector"/>s. A record keeps such a member in a
/// <see cref="Structural{T}"/> field, so the compiler-generated <c>Equals</c> compares it by content; the
/// snapshots taken on <c>init</c> keep later changes to the caller's collections out of the record.
/// </summary>
internal static class ValueEquality
{
    /// <summary>A read-only copy of a list.</summary>
    public static Structural<IReadOnlyList<T>> List<T>(IEnumerable<T>? items) =>
        new(Array.AsReadOnly(items?.Select(Copy).ToArray() ?? []));

    /// <summary>A read-only copy of a map that keeps its key order (the order <c>ToYaml</c> writes).</summary>
    public static Structural<IReadOnlyDictionary<string, T>> Map<T>(IEnumerable<KeyValuePair<string, T>>? entries)
    {
        var copy = new OrderedDictionary<string, T>(StringComparer.Ordinal);
        foreach (var (key, value) in entries ?? [])
            copy.Add(key, Copy(value));
        return new(new ReadOnlyDictionary<string, T>(copy));
    }

    /// <summary>A detached copy of a settings object (an empty one for null).</summary>
    public static Structural<JsonObject> Json(JsonObject? settings) => new(settings?.DeepClone().AsObject() ?? []);

    /// <summary>True when two member values have the same content.</summary>
    public static bool Same(object? a, object? b)
    {
        if (ReferenceEquals(a, b))
            return true;
        if (a is null || b is null)
            return false;
        switch (a, b)
        {
            case (JsonNode x, JsonNode y):
                return JsonNode.DeepEquals(x, y);
            case (ModuleSelector x, ModuleSelector y):
                return x.Pattern == y.Pattern && Same(x.Names, y.Names);
            case (string, _):
                return a.Equals(b);
            case (IDictionary x, IDictionary y):
                if (x.Count != y.Count)
                    return false;
                foreach (DictionaryEntry entry in x)
                    if (!y.Contains(entry.Key) || !Same(entry.Value, y[entry.Key]))
                        return false;
                return true;
            case (IEnumerable x, IEnumerable y):
                var left = x.Cast<object?>().ToList();
                var right = y.Cast<object?>().ToList();
                return left.Count == right.Count && left.Zip(right).All(p => Same(p.First, p.Second));
            default:
                return a.Equals(b);
        }
    }

    /// <summary>A hash consistent with <see cref="Same"/> (collections hash by their size).</summary>
    public static int Hash(object? value) => value switch
    {
        null => 0,
        JsonObject json => json.Count,
        ICollection collection => collection.Count,
        ModuleSelector selector => HashCode.Combine(selector.Pattern, selector.Names?.Count),
        _ => value.GetHashCode(),
    };

    private static T Copy<T>(T value) => value is JsonNode node ? (T)(object)node.DeepClone() : value;
}

/// <summary>A record member compared by content (<see cref="ValueEquality.Same"/>) rather than by reference.</summary>
/// <typeparam name="T">The member's type.</typeparam>
internal readonly struct Structural<T>(T value) : IEquatable<Structural<T>>
{
    /// <summary>The member's value.</summary>
    public T Value { get; } = value;

    /// <inheritdoc />
    public bool Equals(Structural<T> other) => ValueEquality.Same(Value, other.Value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Structural<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => ValueEquality.Hash(Value);
}

/// <summary>A record member left out of equality (where a recipe was read from: two loads of equal recipes from
/// different files are equal).</summary>
/// <typeparam name="T">The member's type.</typeparam>
internal readonly struct NotCompared<T>(T value) : IEquatable<NotCompared<T>>
{
    /// <summary>The member's value.</summary>
    public T Value { get; } = value;

    /// <inheritdoc />
    public bool Equals(NotCompared<T> other) => true;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is NotCompared<T>;

    /// <inheritdoc />
    public override int GetHashCode() => 0;
}
