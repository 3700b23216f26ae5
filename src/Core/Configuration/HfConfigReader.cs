using System.Text.Json;
using System.Text.Json.Serialization;

namespace MMAdapt.Core.Configuration;

/// <summary>
/// Reads Hugging Face JSON files (<c>config.json</c>, <c>generation_config.json</c>,
/// <c>preprocessor_config.json</c>, ...) into typed records whose properties carry
/// <c>[JsonPropertyName("snake_case")]</c> names, with errors that name the file, the key and the line.
/// </summary>
public static class HfConfigReader
{
    /// <summary>Options shared by every HF JSON read and write: Python's NaN/Infinity literals allowed, unknown
    /// keys ignored. The reflection resolver is set explicitly because .NET 10 file-based apps (tutorials,
    /// scripts) turn reflection-based serialisation off by default.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Serialises a config record as indented JSON with unset (null) keys omitted, as HF writes them.</summary>
    public static string Serialize<T>(T value) where T : class =>
        JsonSerializer.Serialize(value, WriteOptions) + "\n";

    private static readonly JsonSerializerOptions WriteOptions = new(Options)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Deserialises <paramref name="path"/> into <typeparamref name="T"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Bad JSON or a value of the wrong type; the message names
    /// the file, the key path and the line.</exception>
    public static T Read<T>(string path) where T : class
    {
        var json = ReadText(path);
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                ?? throw new InvalidDataException($"{path}: expected a JSON object, found null.");
        }
        catch (JsonException e)
        {
            throw Describe(path, e);
        }
    }

    /// <summary>Parses <paramref name="path"/> as a JSON object (the caller disposes the document).</summary>
    public static JsonDocument ReadDocument(string path)
    {
        var json = ReadText(path);
        try
        {
            var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new InvalidDataException($"{path}: expected a JSON object at the top level.");
            }
            return document;
        }
        catch (JsonException e)
        {
            throw Describe(path, e);
        }
    }

    /// <summary>The <c>model_type</c> of a config.json, or null when it has none.</summary>
    public static string? ModelType(string path)
    {
        using var document = ReadDocument(path);
        return document.RootElement.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()
            : null;
    }

    private static string ReadText(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: file not found.", path);
        return File.ReadAllText(path);
    }

    private static InvalidDataException Describe(string path, JsonException e)
    {
        var where = e.Path is { Length: > 1 } p ? $" at key '{p.TrimStart('$', '.')}'" : "";
        var line = e.LineNumber is long l ? $" (line {l + 1})" : "";
        var reason = e.Message.Split(" Path:")[0];
        return new InvalidDataException($"{path}: invalid JSON{where}{line}: {reason}", e);
    }
}
