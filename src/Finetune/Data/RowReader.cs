using System.Text.Json;
using MMAdapt.Models.Chat;

namespace MMAdapt.Finetune.Data;

/// <summary>A row as its format's parser produced it: messages and raw media paths, not yet checked.</summary>
/// <param name="TurnsKey">The key the turns came from (<c>messages</c>, <c>conversations</c>), for error messages.</param>
/// <param name="Messages">The turns with MMAdapt's roles.</param>
/// <param name="Images">Image paths as written in the row.</param>
/// <param name="Audios">Audio paths as written in the row.</param>
internal sealed record ParsedRow(string TurnsKey, IReadOnlyList<ChatMessage> Messages, IReadOnlyList<string> Images, IReadOnlyList<string> Audios);

/// <summary>Typed access to one dataset row's JSON; every failure names the file, the row and what was expected.</summary>
internal readonly struct RowReader(string path, DatasetRow row)
{
    /// <summary>The dataset file.</summary>
    public string Path => path;

    /// <summary>Where the row stands, as errors name it (<c>"line 7"</c>, <c>"row 4 (index 3)"</c>).</summary>
    public string Location => row.Location;

    /// <summary>The row's JSON object.</summary>
    public JsonElement Element => row.Element;

    /// <summary>An error at this row.</summary>
    public DatasetException Fail(string detail) => new(path, row.Location, row.Row, detail);

    /// <summary>Whether the row has <paramref name="key"/>.</summary>
    public bool Has(string key) => row.Element.TryGetProperty(key, out _);

    /// <summary>The array under <paramref name="key"/>.</summary>
    public JsonElement RequiredArray(string key, string expected)
    {
        if (!row.Element.TryGetProperty(key, out var value))
            throw Fail($"missing '{key}'; expected {expected}. Keys present: {KeysText()}.");
        if (value.ValueKind != JsonValueKind.Array)
            throw Fail($"'{key}' is {DatasetRows.Describe(value.ValueKind)}; expected {expected}.");
        return value;
    }

    /// <summary>The string under <paramref name="key"/> of <paramref name="item"/>, which sits at <paramref name="where"/> (e.g. <c>messages[2]</c>).</summary>
    public string RequiredString(JsonElement item, string key, string where)
    {
        if (item.ValueKind != JsonValueKind.Object)
            throw Fail($"{where} is {DatasetRows.Describe(item.ValueKind)}; expected an object.");
        if (!item.TryGetProperty(key, out var value))
            throw Fail($"{where} has no '{key}'; expected a string.");
        if (value.ValueKind != JsonValueKind.String)
            throw Fail($"{where}.{key} is {DatasetRows.Describe(value.ValueKind)}; expected a string.");
        return value.GetString()!;
    }

    /// <summary>
    /// Media paths under <paramref name="plural"/> (an array of strings) or <paramref name="singular"/> (a string
    /// or an array of strings); null or absent means none; both present is an error.
    /// </summary>
    public IReadOnlyList<string> Media(string singular, string plural)
    {
        bool hasOne = row.Element.TryGetProperty(singular, out var one);
        bool hasMany = row.Element.TryGetProperty(plural, out var many);
        if (hasOne && hasMany && one.ValueKind != JsonValueKind.Null && many.ValueKind != JsonValueKind.Null)
            throw Fail($"has both '{singular}' and '{plural}'; expected one of them.");
        var (key, value) = hasMany && many.ValueKind != JsonValueKind.Null ? (plural, many) : (singular, one);
        if (!hasOne && !hasMany || value.ValueKind == JsonValueKind.Null)
            return [];
        if (value.ValueKind == JsonValueKind.String && key == singular)
            return [NonEmpty(value.GetString()!, key)];
        if (value.ValueKind != JsonValueKind.Array)
            throw Fail($"'{key}' is {DatasetRows.Describe(value.ValueKind)}; expected {(key == singular ? "a path or a list of paths" : "a list of paths")}.");
        var paths = new List<string>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                throw Fail($"{key}[{paths.Count}] is {DatasetRows.Describe(item.ValueKind)}; expected a path (a string).");
            paths.Add(NonEmpty(item.GetString()!, $"{key}[{paths.Count}]"));
        }
        return paths;
    }

    /// <summary>The integer under <paramref name="key"/>; null when absent or null.</summary>
    /// <exception cref="DatasetException">The value is not an integer (a fraction, a string, ...).</exception>
    public int? OptionalInteger(string key, string expected)
    {
        if (!row.Element.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.Number)
            throw Fail($"'{key}' is {DatasetRows.Describe(value.ValueKind)} ({value.GetRawText()}); expected {expected}.");
        if (!value.TryGetInt32(out var number))
            throw Fail($"'{key}' is {value.GetRawText()}, not an integer; expected {expected}.");
        return number;
    }

    private string NonEmpty(string value, string where) =>
        string.IsNullOrWhiteSpace(value) ? throw Fail($"{where} is empty; expected a path relative to the dataset's folder.") : value;

    private string KeysText()
    {
        var keys = row.Element.EnumerateObject().Select(p => $"'{p.Name}'").ToList();
        return keys.Count == 0 ? "none" : string.Join(", ", keys);
    }
}
