namespace MMAdapt.Adapters.Common;

/// <summary>
/// A table of the names an option accepts and the values they stand for (activations, placements, sublayers,
/// modalities, ...), with the lookups and the messages they share: an unknown name fails listing the supported ones.
/// </summary>
/// <typeparam name="T">The resolved value type.</typeparam>
public sealed class OptionTable<T> where T : struct
{
    private readonly (string Name, T Value)[] entries;
    private readonly string what;

    /// <summary>Creates the table.</summary>
    /// <param name="what">What one entry is, for messages (<c>activation</c>, <c>modality</c>).</param>
    /// <param name="entries">Lower-case names and their values, in the order messages list them.</param>
    public OptionTable(string what, params (string Name, T Value)[] entries)
    {
        this.what = what;
        this.entries = entries;
    }

    /// <summary>The accepted names, in table order.</summary>
    public IReadOnlyList<string> Names => entries.Select(e => e.Name).ToList();

    /// <summary>The name of a value.</summary>
    public string NameOf(T value) => entries.First(e => EqualityComparer<T>.Default.Equals(e.Value, value)).Name;

    /// <summary>Resolves one name (case-insensitive).</summary>
    /// <exception cref="InvalidDataException">An unknown name; the message lists the supported ones.</exception>
    public T Parse(string? name, string source) =>
        TryParse(name) ?? throw new InvalidDataException($"{source}: {what} '{name}' is not supported; supported: {Supported}.");

    /// <summary>Resolves a list of names (case-insensitive), keeping its order.</summary>
    /// <param name="names">The option value.</param>
    /// <param name="source">What the value came from, for messages.</param>
    /// <param name="key">The option key, for messages.</param>
    /// <exception cref="InvalidDataException">The list is empty, repeats an entry or names an unknown one.</exception>
    public IReadOnlyList<T> ParseList(IReadOnlyList<string> names, string source, string key)
    {
        if (names.Count == 0)
            throw new InvalidDataException($"{source}: {key} is empty; name at least one of {Supported}.");
        var values = new List<T>();
        foreach (var name in names)
        {
            var value = TryParse(name) ?? throw new InvalidDataException($"{source}: {key} names unknown {what} '{name}'; supported: {Supported}.");
            if (values.Contains(value))
                throw new InvalidDataException($"{source}: {key} lists {what} '{NameOf(value)}' twice.");
            values.Add(value);
        }
        return values;
    }

    private string Supported => string.Join(", ", entries.Select(e => e.Name));

    private T? TryParse(string? name)
    {
        foreach (var (candidate, value) in entries)
            if (string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase))
                return value;
        return null;
    }
}
