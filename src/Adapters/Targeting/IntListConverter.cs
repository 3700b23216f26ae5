using System.Text.Json;
using System.Text.Json.Serialization;

namespace MMAdapt.Adapters.Targeting;

/// <summary>Reads PEFT fields that may be one integer or a list (<c>layers_to_transform</c>).</summary>
public sealed class IntListConverter : JsonConverter<IReadOnlyList<int>?>
{
    /// <inheritdoc />
    public override IReadOnlyList<int>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        if (reader.TokenType == JsonTokenType.Number)
            return [reader.GetInt32()];
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new JsonException("expected an integer or a list of integers");
        var values = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            values.Add(reader.GetInt32());
        return values;
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IReadOnlyList<int>? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }
        writer.WriteStartArray();
        foreach (var v in value)
            writer.WriteNumberValue(v);
        writer.WriteEndArray();
    }
}
