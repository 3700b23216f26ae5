using System.Globalization;

namespace MMAdapt.Adapters.Routing;

/// <summary>Writes <c>name:key=value,key=value</c> specs (invariant culture, round-trippable numbers).</summary>
internal static class SpecFormat
{
    /// <summary>The spec of <paramref name="name"/> with the non-null values, in the given order.</summary>
    public static string Of(string name, params (string Key, object? Value)[] values)
    {
        var parts = values.Where(v => v.Value is not null).Select(v => $"{v.Key}={Text(v.Value!)}").ToList();
        return parts.Count == 0 ? name : $"{name}:{string.Join(",", parts)}";
    }

    private static string Text(object value) => value switch
    {
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
