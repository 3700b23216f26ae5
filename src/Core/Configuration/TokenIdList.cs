using System.Text.Json;
using System.Text.Json.Serialization;

namespace MMAdapt.Core.Configuration;

/// <summary>
/// Reads HF token-id fields that may be one integer or a list (<c>"eos_token_id": 2</c> or
/// <c>"eos_token_id": [128001, 128009]</c>) into a list; null stays null.
/// </summary>
public sealed class TokenIdListConverter : JsonConverter<IReadOnlyList<int>?>
{
    /// <inheritdoc />
    public override IReadOnlyList<int>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                return [reader.GetInt32()];
            case JsonTokenType.StartArray:
                var ids = new List<int>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number)
                        throw new JsonException("expected a token id (integer) in the list");
                    ids.Add(reader.GetInt32());
                }
                return ids;
            default:
                throw new JsonException("expected a token id (integer) or a list of them");
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IReadOnlyList<int>? value, JsonSerializerOptions options)
    {
        if (value is null)
            writer.WriteNullValue();
        else if (value.Count == 1)
            writer.WriteNumberValue(value[0]);
        else
        {
            writer.WriteStartArray();
            foreach (var id in value)
                writer.WriteNumberValue(id);
            writer.WriteEndArray();
        }
    }
}
