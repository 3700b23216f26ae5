using MMAdapt.Finetune.Recipes.Syntax;

namespace MMAdapt.Finetune.Recipes.Schema;

/// <summary>
/// A record read from a mapping key by key: every key the mapping has must be one of the record's (an unknown one is a
/// problem naming the closest valid key); keys it lacks keep the record's defaults. <c>null</c> (a key with nothing
/// after it) is the record with all defaults.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class RecordCodec<T>(Func<T> create, RecordFields<T> fields) : Codec<T>
{
    private readonly Dictionary<string, RecordField<T>> byKey = fields.ToDictionary(f => f.Key, StringComparer.Ordinal);

    /// <inheritdoc />
    public override string Expected => "a mapping";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys { get; } = fields.Select(f => f.Key).ToArray();

    /// <inheritdoc />
    public override Codec? Field(string key) => byKey.GetValueOrDefault(key)?.Codec;

    /// <inheritdoc />
    public override bool TryRead(RecipeNode node, string path, BindContext context, out T value)
    {
        value = create();
        if (node is ScalarNode { IsNull: true })
            return true;
        if (node is not MapNode map)
            return Wrong(node, path, context, out value);
        foreach (var entry in map.Entries)
        {
            var entryPath = RecipePath.Key(path, entry.Key);
            context.Locations[entryPath] = entry.KeyLocation;
            if (byKey.TryGetValue(entry.Key, out var field))
                field.TryApply(ref value, entry.Value, entryPath, context);
            else
                context.Report(entryPath, entry.KeyLocation, $"unknown key '{entry.Key}'{ClosestName.Hint(entry.Key, Keys)}");
        }
        return true;
    }

    /// <inheritdoc />
    public override RecipeNode Write(T value)
    {
        var map = new MapNode(RecipeLocation.Unknown);
        map.Entries.AddRange(fields.Select(f => new MapEntry(f.Key, RecipeLocation.Unknown, f.Write(value))));
        return map;
    }
}

/// <summary>One key of a <see cref="RecordCodec{T}"/>.</summary>
internal abstract class RecordField<T>(string key)
{
    /// <summary>The snake_case key.</summary>
    public string Key { get; } = key;

    /// <summary>The value's codec.</summary>
    public abstract Codec Codec { get; }

    /// <summary>Reads the value and sets it on <paramref name="target"/> when it is usable.</summary>
    public abstract bool TryApply(ref T target, RecipeNode node, string path, BindContext context);

    /// <summary>Writes the value of <paramref name="source"/>.</summary>
    public abstract RecipeNode Write(T source);
}

/// <summary>A key whose value has type <typeparamref name="TValue"/>, read and set through a getter and a
/// <c>with</c> setter.</summary>
internal sealed class RecordField<T, TValue>(string key, Codec<TValue> codec, Func<T, TValue> get, Func<T, TValue, T> set) : RecordField<T>(key)
{
    /// <inheritdoc />
    public override Codec Codec => codec;

    /// <inheritdoc />
    public override bool TryApply(ref T target, RecipeNode node, string path, BindContext context)
    {
        if (!codec.TryRead(node, path, context, out var value))
            return false;
        target = set(target, value);
        return true;
    }

    /// <inheritdoc />
    public override RecipeNode Write(T source) => codec.Write(get(source));
}

/// <summary>The keys of a record, written as a collection initializer:
/// <c>{ "path", ScalarCodecs.Path, s =&gt; s.Path, (s, v) =&gt; s with { Path = v } }</c>.</summary>
internal sealed class RecordFields<T> : IEnumerable<RecordField<T>>
{
    private readonly List<RecordField<T>> fields = [];

    /// <summary>Adds a key.</summary>
    public void Add<TValue>(string key, Codec<TValue> codec, Func<T, TValue> get, Func<T, TValue, T> set) =>
        fields.Add(new RecordField<T, TValue>(key, codec, get, set));

    /// <inheritdoc />
    public IEnumerator<RecordField<T>> GetEnumerator() => fields.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
