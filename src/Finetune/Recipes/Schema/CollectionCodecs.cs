using MMAdapt.Finetune.Recipes.Syntax;

namespace MMAdapt.Finetune.Recipes.Schema;

/// <summary>A list; <c>null</c> (a key with nothing after it) is an empty list.</summary>
internal sealed class ListCodec<T>(Codec<T> item) : Codec<IReadOnlyList<T>>
{
    /// <inheritdoc />
    public override string Expected => $"a list of {Plural(item.Expected)}";

    /// <inheritdoc />
    public override Codec? Item => item;

    /// <inheritdoc />
    public override bool TryRead(RecipeNode node, string path, BindContext context, out IReadOnlyList<T> value)
    {
        value = [];
        if (node is ScalarNode { IsNull: true })
            return true;
        if (node is not ListNode list)
            return Wrong(node, path, context, out value);
        var items = new List<T>();
        for (var i = 0; i < list.Items.Count; i++)
        {
            var itemPath = RecipePath.Index(path, i);
            context.Locations[itemPath] = list.Items[i].Location;
            if (item.TryRead(list.Items[i], itemPath, context, out var read))
                items.Add(read);
        }
        value = items;
        return true;
    }

    /// <inheritdoc />
    public override RecipeNode Write(IReadOnlyList<T> value)
    {
        var list = new ListNode(RecipeLocation.Unknown);
        list.Items.AddRange(value.Select(item.Write));
        return list;
    }

    private static string Plural(string expected) => expected switch
    {
        "a string" => "strings",
        "a whole number" => "whole numbers",
        _ => $"items ({expected})",
    };
}

/// <summary>A mapping with free keys (connectors, lr_groups, gates, init); <c>null</c> is an empty map.</summary>
internal sealed class MapCodec<T>(Codec<T> value) : Codec<IReadOnlyDictionary<string, T>>
{
    /// <inheritdoc />
    public override string Expected => "a mapping";

    /// <inheritdoc />
    public override Codec? Value => value;

    /// <inheritdoc />
    public override bool TryRead(RecipeNode node, string path, BindContext context, out IReadOnlyDictionary<string, T> result)
    {
        result = new Dictionary<string, T>();
        if (node is ScalarNode { IsNull: true })
            return true;
        if (node is not MapNode map)
            return Wrong(node, path, context, out result);
        var entries = new OrderedDictionary<string, T>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            var entryPath = RecipePath.Key(path, entry.Key);
            context.Locations[entryPath] = entry.KeyLocation;
            if (value.TryRead(entry.Value, entryPath, context, out var read))
                entries[entry.Key] = read;
        }
        result = entries;
        return true;
    }

    /// <inheritdoc />
    public override RecipeNode Write(IReadOnlyDictionary<string, T> map)
    {
        var node = new MapNode(RecipeLocation.Unknown);
        node.Entries.AddRange(map.Select(e => new MapEntry(e.Key, RecipeLocation.Unknown, value.Write(e.Value))));
        return node;
    }
}

/// <summary>An optional value: <c>null</c> (or a missing key) is null; anything else is read by the inner codec.</summary>
internal abstract class NullOrCodec<TInner, TOut>(Codec<TInner> inner) : Codec<TOut>
{
    /// <inheritdoc />
    public override string Expected => $"{inner.Expected} or null";

    /// <inheritdoc />
    public override IReadOnlyList<string> Keys => inner.Keys;

    /// <inheritdoc />
    public override Codec? Field(string key) => inner.Field(key);

    /// <inheritdoc />
    public override Codec? Item => inner.Item;

    /// <inheritdoc />
    public override Codec? Value => inner.Value;

    /// <inheritdoc />
    public override bool TryRead(RecipeNode node, string path, BindContext context, out TOut value)
    {
        value = default!;
        if (node is ScalarNode { IsNull: true })
            return true;
        if (!inner.TryRead(node, path, context, out var read))
            return false;
        value = Wrap(read);
        return true;
    }

    /// <inheritdoc />
    public override RecipeNode Write(TOut value) => Unwrap(value, out var some) ? inner.Write(some) : ScalarNode.Plain("null");

    /// <summary>The optional form of a value.</summary>
    protected abstract TOut Wrap(TInner value);

    /// <summary>The value inside, or false for null.</summary>
    protected abstract bool Unwrap(TOut value, out TInner inner);
}

/// <summary>An optional reference value (a section, a string).</summary>
internal sealed class OptionalCodec<T>(Codec<T> inner) : NullOrCodec<T, T?>(inner) where T : class
{
    /// <inheritdoc />
    protected override T? Wrap(T value) => value;

    /// <inheritdoc />
    protected override bool Unwrap(T? value, out T inner)
    {
        inner = value!;
        return value is not null;
    }
}

/// <summary>An optional number.</summary>
internal sealed class OptionalValueCodec<T>(Codec<T> inner) : NullOrCodec<T, T?>(inner) where T : struct
{
    /// <inheritdoc />
    protected override T? Wrap(T value) => value;

    /// <inheritdoc />
    protected override bool Unwrap(T? value, out T inner)
    {
        inner = value.GetValueOrDefault();
        return value.HasValue;
    }
}
