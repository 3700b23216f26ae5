using System.Globalization;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// One parsed <c>name:key=value,key=value</c> spec (routing strategies, aux losses), checked against a table of
/// kinds and their keys; every error names the spec, the kind and what is valid.
/// </summary>
internal sealed class OptionSpec
{
    private readonly Dictionary<string, string> values;

    private OptionSpec(string text, string kind, Dictionary<string, string> values)
    {
        Text = text;
        Kind = kind;
        this.values = values;
    }

    /// <summary>The spec as written.</summary>
    public string Text { get; }

    /// <summary>The kind (the part before the colon), lower case.</summary>
    public string Kind { get; }

    /// <summary>One row of a kind table: its name, its keys, and how it builds the options.</summary>
    public sealed record Row<T>(string Name, IReadOnlyList<string> Keys, Func<OptionSpec, T> Create);

    /// <summary>Parses <paramref name="text"/> and builds the options of the matching row.</summary>
    /// <param name="text">The spec.</param>
    /// <param name="what">What the table lists, for messages (e.g. "routing strategy").</param>
    /// <param name="table">The supported kinds.</param>
    /// <exception cref="ArgumentException">Unknown kind or key, malformed or missing value.</exception>
    public static T Parse<T>(string text, string what, IReadOnlyList<Row<T>> table)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        int colon = trimmed.IndexOf(':');
        var name = (colon < 0 ? trimmed : trimmed[..colon]).Trim().ToLowerInvariant();
        var row = table.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException(
            $"Unknown {what} '{name}' in '{text}'; supported: {string.Join(", ", table.Select(r => r.Name))}.", nameof(text));

        var values = new Dictionary<string, string>();
        if (colon >= 0)
        {
            foreach (var part in trimmed[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=');
                if (eq <= 0)
                    throw new ArgumentException($"{name}: '{part}' in '{text}' is not key=value.", nameof(text));
                var key = part[..eq].Trim().ToLowerInvariant();
                if (!row.Keys.Contains(key))
                    throw new ArgumentException(
                        $"{name}: unknown key '{key}' in '{text}'; valid keys: {(row.Keys.Count == 0 ? "(none)" : string.Join(", ", row.Keys))}.", nameof(text));
                if (!values.TryAdd(key, part[(eq + 1)..].Trim()))
                    throw new ArgumentException($"{name}: key '{key}' given twice in '{text}'.", nameof(text));
            }
        }
        return row.Create(new OptionSpec(text, name, values));
    }

    /// <summary>An integer value; <paramref name="fallback"/> when absent (null: the key is required).</summary>
    public int Int(string key, int? fallback = null) =>
        Get(key, fallback, s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null, "an integer");

    /// <summary>An optional integer value (null when absent).</summary>
    public int? OptionalInt(string key) => values.ContainsKey(key) ? Int(key) : null;

    /// <summary>A number; <paramref name="fallback"/> when absent (null: the key is required).</summary>
    public double Double(string key, double? fallback = null) =>
        Get(key, fallback, s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null, "a number");

    /// <summary>A boolean (<c>true</c>/<c>false</c>); <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string key, bool fallback) =>
        Get<bool>(key, fallback, s => bool.TryParse(s, out var v) ? v : null, "true or false");

    /// <summary>One of <paramref name="choices"/>; <paramref name="fallback"/> when absent.</summary>
    public string Choice(string key, string fallback, params string[] choices)
    {
        if (!values.TryGetValue(key, out var text))
            return fallback;
        var lower = text.ToLowerInvariant();
        return choices.Contains(lower) ? lower
            : throw new ArgumentException($"{Kind}: {key} = '{text}' in '{Text}' must be one of {string.Join(", ", choices)}.");
    }

    private T Get<T>(string key, T? fallback, Func<string, T?> parse, string expected) where T : struct
    {
        if (!values.TryGetValue(key, out var text))
            return fallback ?? throw new ArgumentException($"{Kind}: missing key '{key}' in '{Text}'.");
        return parse(text) ?? throw new ArgumentException($"{Kind}: {key} = '{text}' in '{Text}' must be {expected}.");
    }
}
