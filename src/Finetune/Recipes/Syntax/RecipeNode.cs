namespace MMAdapt.Finetune.Recipes.Syntax;

/// <summary>
/// A recipe as a document tree before it is typed: mappings, lists and scalars, each with the location it was written
/// at. Files (YAML or JSON), environment variables and overrides all become this tree, layered in that order; the
/// schema then binds it to <see cref="Recipe"/>. Scalars keep their text and whether they were quoted, so that typing
/// follows the schema rather than YAML's guesses.
/// </summary>
internal abstract class RecipeNode(RecipeLocation location)
{
    /// <summary>Where the node was written.</summary>
    public RecipeLocation Location { get; } = location;

    /// <summary>A deep copy (for YAML aliases, which must not share what overrides change).</summary>
    public abstract RecipeNode Clone();

    /// <summary>What the node is, for messages: <c>a mapping</c>, <c>a list</c>, <c>'abc'</c>.</summary>
    public abstract string Describe();
}

/// <summary>A mapping; keys keep their order and their own locations.</summary>
internal sealed class MapNode(RecipeLocation location) : RecipeNode(location)
{
    /// <summary>The entries in document order.</summary>
    public List<MapEntry> Entries { get; } = [];

    /// <summary>The entry of <paramref name="key"/>, or null.</summary>
    public MapEntry? Find(string key) => Entries.Find(e => e.Key == key);

    /// <inheritdoc />
    public override RecipeNode Clone()
    {
        var copy = new MapNode(Location);
        copy.Entries.AddRange(Entries.Select(e => new MapEntry(e.Key, e.KeyLocation, e.Value.Clone())));
        return copy;
    }

    /// <inheritdoc />
    public override string Describe() => "a mapping";
}

/// <summary>One key of a <see cref="MapNode"/> and its value.</summary>
internal sealed class MapEntry(string key, RecipeLocation keyLocation, RecipeNode value)
{
    /// <summary>The key.</summary>
    public string Key { get; } = key;

    /// <summary>Where the key was written (the line problems about this entry point at).</summary>
    public RecipeLocation KeyLocation { get; set; } = keyLocation;

    /// <summary>The value.</summary>
    public RecipeNode Value { get; set; } = value;
}

/// <summary>A list.</summary>
internal sealed class ListNode(RecipeLocation location) : RecipeNode(location)
{
    /// <summary>The items in order.</summary>
    public List<RecipeNode> Items { get; } = [];

    /// <inheritdoc />
    public override RecipeNode Clone()
    {
        var copy = new ListNode(Location);
        copy.Items.AddRange(Items.Select(i => i.Clone()));
        return copy;
    }

    /// <inheritdoc />
    public override string Describe() => "a list";
}

/// <summary>A scalar: its text, and whether it is a string for sure (quoted, a block scalar, a JSON string or tagged
/// <c>!!str</c>) rather than a plain scalar whose type the schema decides.</summary>
internal sealed class ScalarNode(RecipeLocation location, string text, bool isString) : RecipeNode(location)
{
    /// <summary>The text, unquoted.</summary>
    public string Text { get; } = text;

    /// <summary>True for a quoted or otherwise explicit string.</summary>
    public bool IsString { get; } = isString;

    /// <summary>What the scalar is under YAML 1.2's core schema.</summary>
    public ScalarKind Kind => IsString ? ScalarKind.String : PlainScalar.Classify(Text);

    /// <summary>True for <c>null</c>, <c>~</c> or nothing, unquoted.</summary>
    public bool IsNull => Kind == ScalarKind.Null;

    /// <summary>A plain scalar (typed by its text), for values written back.</summary>
    public static ScalarNode Plain(string text) => new(RecipeLocation.Unknown, text, false);

    /// <summary>A string, for values written back.</summary>
    public static ScalarNode String(string text) => new(RecipeLocation.Unknown, text, true);

    /// <inheritdoc />
    public override RecipeNode Clone() => this;

    /// <inheritdoc />
    public override string Describe() => IsNull ? "null" : IsString ? $"the string '{Text}'" : $"'{Text}'";
}
