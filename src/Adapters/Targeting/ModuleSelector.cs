using System.Text.Json;
using System.Text.Json.Serialization;

namespace MMAdapt.Adapters.Targeting;

/// <summary>
/// PEFT's way of naming modules (<c>target_modules</c>, <c>exclude_modules</c>): a list of names, each matching a
/// module whose full name equals it or ends with <c>.name</c>; or one string, a regular expression that must match
/// the whole name; or <c>all-linear</c>, every linear projection of the component but its output layer.
/// </summary>
[JsonConverter(typeof(ModuleSelectorConverter))]
public sealed record ModuleSelector
{
    /// <summary>The PEFT keyword for every linear projection but the output layer.</summary>
    public const string AllLinearKeyword = "all-linear";

    /// <summary>Names (exact or dotted suffixes), when given as a list.</summary>
    public IReadOnlyList<string>? Names { get; init; }

    /// <summary>A regular expression matched against the whole name, when given as a string.</summary>
    public string? Pattern { get; init; }

    /// <summary>True for <c>all-linear</c>.</summary>
    public bool AllLinear => Pattern == AllLinearKeyword;

    /// <summary>Selects by names (suffix match).</summary>
    public static ModuleSelector Of(params string[] names) => new() { Names = names };

    /// <summary>Selects by a full-match regular expression.</summary>
    public static ModuleSelector Regex(string pattern) => new() { Pattern = pattern };

    /// <summary>Selects every linear projection but the output layer.</summary>
    public static ModuleSelector AllLinearLayers { get; } = new() { Pattern = AllLinearKeyword };

    /// <summary>True when <paramref name="name"/> (a full module name) is selected; all-linear is decided by the caller.</summary>
    public bool Matches(string name)
    {
        if (Names is not null)
            return Names.Any(n => name == n || name.EndsWith("." + n, StringComparison.Ordinal));
        if (Pattern is null || AllLinear)
            return false;
        return System.Text.RegularExpressions.Regex.IsMatch(name, $"^(?:{Pattern})$");
    }

    /// <inheritdoc />
    public override string ToString() => Names is not null ? $"[{string.Join(", ", Names)}]" : $"'{Pattern}'";
}

/// <summary>Reads and writes a <see cref="ModuleSelector"/> as PEFT does: a JSON string or a list of strings.</summary>
public sealed class ModuleSelectorConverter : JsonConverter<ModuleSelector>
{
    /// <inheritdoc />
    public override ModuleSelector? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return new ModuleSelector { Pattern = reader.GetString() };
            case JsonTokenType.StartArray:
                var names = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String)
                        throw new JsonException("expected module names (strings) in the list");
                    names.Add(reader.GetString()!);
                }
                return new ModuleSelector { Names = names };
            default:
                throw new JsonException("expected a module name pattern (string) or a list of module names");
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ModuleSelector value, JsonSerializerOptions options)
    {
        if (value.Names is not null)
        {
            writer.WriteStartArray();
            foreach (var name in value.Names)
                writer.WriteStringValue(name);
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteStringValue(value.Pattern);
        }
    }
}
