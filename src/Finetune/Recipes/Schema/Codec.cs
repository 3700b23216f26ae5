using MMAdapt.Finetune.Recipes.Syntax;

namespace MMAdapt.Finetune.Recipes.Schema;

/// <summary>
/// How one schema value is read from and written to the document tree. The non-generic part describes the value's
/// shape, so that overrides and environment variables can be checked key by key before they are applied.
/// </summary>
internal abstract class Codec
{
    /// <summary>What the value must be, for messages (<c>a number</c>, <c>one of cosine, linear, constant</c>).</summary>
    public abstract string Expected { get; }

    /// <summary>For a record: its keys, in schema order.</summary>
    public virtual IReadOnlyList<string> Keys => [];

    /// <summary>For a record: the codec of one key, or null for a key the record does not have.</summary>
    public virtual Codec? Field(string key) => null;

    /// <summary>For a list: the codec of its items.</summary>
    public virtual Codec? Item => null;

    /// <summary>For a map with free keys (connectors, lr_groups, settings): the codec of its values.</summary>
    public virtual Codec? Value => null;
}

/// <summary>A codec of values of type <typeparamref name="T"/>.</summary>
internal abstract class Codec<T> : Codec
{
    /// <summary>Reads a value, reporting what is wrong to <paramref name="context"/> instead of throwing, so that one
    /// pass finds every problem. Returns false when there is no usable value (a scalar of the wrong type, a list
    /// where a mapping belongs); a list, mapping or record with bad parts inside returns true with what it could read
    /// (its problems are reported), so that later checks still see the rest.</summary>
    public abstract bool TryRead(RecipeNode node, string path, BindContext context, out T value);

    /// <summary>Writes a value as a tree (for <c>ToYaml</c>).</summary>
    public abstract RecipeNode Write(T value);

    /// <summary>Reports a value of the wrong type.</summary>
    protected bool Wrong(RecipeNode node, string path, BindContext context, out T value)
    {
        context.Report(path, node.Location, $"expected {Expected}, got {node.Describe()}");
        value = default!;
        return false;
    }
}

/// <summary>What one binding pass collects: the problems, and the location of every key path it read.</summary>
internal sealed class BindContext
{
    /// <summary>The problems, in document order.</summary>
    public List<RecipeProblem> Problems { get; } = [];

    /// <summary>Key path to where it was written.</summary>
    public Dictionary<string, RecipeLocation> Locations { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a problem.</summary>
    public void Report(string path, RecipeLocation at, string message) => Problems.Add(RecipeProblem.At(path, message, at));
}
