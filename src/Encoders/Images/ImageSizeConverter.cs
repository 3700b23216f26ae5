using System.Text.Json;
using System.Text.Json.Serialization;

namespace MMAdapt.Encoders.Images;

/// <summary>Reads and writes <see cref="ImageSize"/>: a number or an object of integer keys.</summary>
internal sealed class ImageSizeConverter : JsonConverter<ImageSize>
{
    /// <inheritdoc />
    public override ImageSize Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
            return new ImageSize { Scalar = reader.GetInt32() };
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("expected a number or an object such as {\"shortest_edge\": 224} or {\"height\": 224, \"width\": 224}.");
        var size = new ImageSize();
        var others = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            reader.Read();
            int? value = reader.TokenType == JsonTokenType.Null ? null
                : reader.TokenType == JsonTokenType.Number ? reader.GetInt32()
                : throw new JsonException($"'{key}' must be an integer.");
            size = key switch
            {
                "shortest_edge" => size with { ShortestEdge = value },
                "height" => size with { Height = value },
                "width" => size with { Width = value },
                _ => value is null ? size : Add(size, others, key),
            };
        }
        return others.Count == 0 ? size : size with { OtherKeys = others };

        static ImageSize Add(ImageSize size, List<string> others, string key)
        {
            others.Add(key);
            return size;
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ImageSize value, JsonSerializerOptions options)
    {
        if (value.Scalar is int scalar)
        {
            writer.WriteNumberValue(scalar);
            return;
        }
        writer.WriteStartObject();
        if (value.ShortestEdge is int edge)
            writer.WriteNumber("shortest_edge", edge);
        if (value.Height is int height)
            writer.WriteNumber("height", height);
        if (value.Width is int width)
            writer.WriteNumber("width", width);
        writer.WriteEndObject();
    }
}
