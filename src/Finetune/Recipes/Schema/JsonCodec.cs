using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMAdapt.Finetune.Recipes.Syntax;

namespace MMAdapt.Finetune.Recipes.Schema;

/// <summary>
/// A settings object passed through unread (<c>connectors.*</c>, <c>adapters[].settings</c>, <c>init.*.settings</c>):
/// any mapping, converted to a <see cref="JsonObject"/> with scalars typed as YAML 1.2 types them (<c>8</c> a whole
/// number, <c>1.0e-3</c> a number, <c>"8"</c> a string). <c>null</c> is an empty object. The location of every key
/// inside is kept, so that the layer that parses the settings can name the line.
/// </summary>
internal sealed class JsonCodec : Codec<JsonObject>
{
    /// <summary>The one instance.</summary>
    public static JsonCodec Instance { get; } = new();

    /// <inheritdoc />
    public override string Expected => "a mapping of settings";

    /// <inheritdoc />
    public override Codec? Item => this;

    /// <inheritdoc />
    public override Codec? Value => this;

    /// <inheritdoc />
    public override bool TryRead(RecipeNode node, string path, BindContext context, out JsonObject value)
    {
        value = [];
        if (node is ScalarNode { IsNull: true })
            return true;
        if (node is not MapNode)
            return Wrong(node, path, context, out value);
        value = ToJson(node, path, context)!.AsObject();
        return true;
    }

    /// <inheritdoc />
    public override RecipeNode Write(JsonObject value) => FromJson(value);

    private static JsonNode? ToJson(RecipeNode node, string path, BindContext context)
    {
        switch (node)
        {
            case MapNode map:
                var json = new JsonObject();
                foreach (var entry in map.Entries)
                {
                    var entryPath = RecipePath.Key(path, entry.Key);
                    context.Locations[entryPath] = entry.KeyLocation;
                    json[entry.Key] = ToJson(entry.Value, entryPath, context);
                }
                return json;
            case ListNode list:
                var array = new JsonArray();
                for (var i = 0; i < list.Items.Count; i++)
                {
                    context.Locations[RecipePath.Index(path, i)] = list.Items[i].Location;
                    array.Add(ToJson(list.Items[i], RecipePath.Index(path, i), context));
                }
                return array;
            default:
                var scalar = (ScalarNode)node;
                return scalar.Kind switch
                {
                    ScalarKind.Null => null,
                    ScalarKind.Bool => JsonValue.Create(PlainScalar.ToBool(scalar.Text)),
                    ScalarKind.Int when PlainScalar.ToLong(scalar.Text) is { } whole => Number(whole.ToString(CultureInfo.InvariantCulture)),
                    ScalarKind.Int or ScalarKind.Float => PlainScalar.ToDouble(scalar.Text) is var d && double.IsFinite(d)
                        ? Number(d.ToString("R", CultureInfo.InvariantCulture))
                        : JsonValue.Create(d),
                    _ => JsonValue.Create(scalar.Text),
                };
        }
    }

    // Numbers as parsed JSON (not boxed longs or doubles), so that readers of settings objects can ask for any numeric
    // type that holds the value (GetValue<int> on 4, GetValue<double> on 4), as with settings read from a JSON file.
    private static JsonNode Number(string text) => JsonNode.Parse(text)!;

    private static RecipeNode FromJson(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject json:
                var map = new MapNode(RecipeLocation.Unknown);
                map.Entries.AddRange(json.Select(e => new MapEntry(e.Key, RecipeLocation.Unknown, FromJson(e.Value))));
                return map;
            case JsonArray array:
                var list = new ListNode(RecipeLocation.Unknown);
                list.Items.AddRange(array.Select(FromJson));
                return list;
            case JsonValue value:
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => ScalarNode.String(value.GetValue<string>()),
                    JsonValueKind.Number when value.TryGetValue<long>(out var whole) => ScalarNode.Plain(whole.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    JsonValueKind.Number when value.TryGetValue<double>(out var number) => ScalarNode.Plain(PlainScalar.FormatDouble(number)),
                    _ => ScalarNode.Plain(value.ToJsonString()),
                };
            default:
                return ScalarNode.Plain("null");
        }
    }
}
