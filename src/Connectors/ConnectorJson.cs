using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MMAdapt.Core.Configuration;

namespace MMAdapt.Connectors;

/// <summary>
/// Connector options as JSON (<see cref="ConnectorFactory.Parse"/>, <see cref="ConnectorFactory.Write"/>): the keys are the records'
/// <c>[JsonPropertyName]</c>s plus <c>type</c>; unknown keys are refused with the closest valid one, nested objects
/// (<c>router</c>) included.
/// </summary>
internal static class ConnectorJson
{
    private static readonly JsonSerializerOptions WriteOptions = new(HfConfigReader.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static ConnectorOptions Read(JsonObject json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        var supported = string.Join(", ", ConnectorFactory.Types);
        if (json["type"] is not JsonValue typeNode || !typeNode.TryGetValue<string>(out var type))
            throw new InvalidDataException($"{source}: a connector needs a string 'type'; supported types: {supported}.");
        if (ConnectorFactory.Table.FirstOrDefault(r => r.Name == type) is not { } row)
        {
            var guess = Spelling.Closest(type, ConnectorFactory.Types, maxDistance: Math.Max(2, type.Length / 3));
            throw new InvalidDataException($"{source}: unknown connector type '{type}'{(guess is null ? "" : $" (did you mean '{guess}'?)")}; " +
                                           $"supported types: {supported}.");
        }

        CheckKeys(json, row.OptionsType, "", $"a {type} connector", source, topLevel: true);
        var body = json.DeepClone().AsObject();
        body.Remove("type");
        ConnectorOptions options;
        try
        {
            options = (ConnectorOptions)(body.Deserialize(row.OptionsType, HfConfigReader.Options)
                ?? throw new InvalidDataException($"{source}: the {type} connector options are null."));
        }
        catch (JsonException e)
        {
            var key = (e.Path ?? "$").TrimStart('$', '.');
            throw new InvalidDataException($"{source}: {type} connector: '{key}' must be {Expected(row.OptionsType, key)}, " +
                                           $"got {Value(json, key)}.", e);
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {ConnectorOptions.Plain(e)}", e);
        }
        return options;
    }

    public static JsonObject Write(ConnectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var body = JsonSerializer.SerializeToNode(options, options.GetType(), WriteOptions)!.AsObject();
        var json = new JsonObject { ["type"] = options.Type };
        foreach (var (key, value) in body)
            json[key] = value?.DeepClone();
        return json;
    }

    /// <summary>The JSON names of a record's properties, in declaration order (base record's first).</summary>
    private static List<(string Name, Type PropertyType)> Keys(Type type) => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Select(p => (Attribute: p.GetCustomAttribute<JsonPropertyNameAttribute>(), p.PropertyType))
        .Where(p => p.Attribute is not null)
        .Select(p => (p.Attribute!.Name, p.PropertyType))
        .ToList();

    private static void CheckKeys(JsonObject json, Type type, string path, string what, string source, bool topLevel)
    {
        var keys = Keys(type);
        var valid = (topLevel ? new[] { "type" } : []).Concat(keys.Select(k => k.Name)).ToList();
        foreach (var (key, value) in json)
        {
            if (!valid.Contains(key))
                throw new InvalidDataException($"{source}: unknown key '{path}{key}' for {what}; did you mean '{path}{Spelling.Closest(key, valid)}'? " +
                                               $"Valid keys: {string.Join(", ", valid.Select(v => path + v))}.");
            var nested = keys.FirstOrDefault(k => k.Name == key).PropertyType;
            if (value is JsonObject inner && nested is not null && Keys(nested).Count > 0)
                CheckKeys(inner, nested, $"{path}{key}.", what, source, topLevel: false);
        }
    }

    /// <summary>What the property at a JSON path holds, in words.</summary>
    private static string Expected(Type type, string path)
    {
        Type? current = type;
        foreach (var part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
            current = current is null ? null : Keys(current).FirstOrDefault(k => k.Name == part).PropertyType;
        current = current is null ? null : Nullable.GetUnderlyingType(current) ?? current;
        return current switch
        {
            null => "a value of another kind",
            _ when current == typeof(int) || current == typeof(long) => "a whole number",
            _ when current == typeof(double) || current == typeof(float) => "a number",
            _ when current == typeof(bool) => "true or false",
            _ when current == typeof(string) => "a string",
            _ when typeof(System.Collections.IEnumerable).IsAssignableFrom(current) => "a list of strings",
            _ => "an object",
        };
    }

    private static string Value(JsonObject json, string path)
    {
        JsonNode? node = json;
        foreach (var part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
            node = node is JsonObject o ? o[part] : null;
        return node?.ToJsonString() ?? "null";
    }
}
