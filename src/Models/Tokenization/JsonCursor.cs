using System.Text.Json;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// A position inside a JSON document that remembers the file and the key path it came from, so that every
/// error names both (<c>tokenizer.json: key 'model.merges[3]' must be ...</c>).
/// </summary>
internal readonly struct JsonCursor
{
    private JsonCursor(JsonElement element, string file, string path)
    {
        Element = element;
        File = file;
        Path = path;
    }

    /// <summary>The JSON value at this position.</summary>
    public JsonElement Element { get; }

    /// <summary>The file the document was read from.</summary>
    public string File { get; }

    /// <summary>The dotted key path of this value (empty for the root).</summary>
    public string Path { get; }

    /// <summary>Parses <paramref name="file"/>; malformed JSON fails naming the file.</summary>
    public static JsonCursor Load(string file, out JsonDocument document)
    {
        if (!System.IO.File.Exists(file))
        {
            throw new FileNotFoundException($"{file}: file not found.", file);
        }

        try
        {
            using var stream = System.IO.File.OpenRead(file);
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: not valid JSON ({e.Message})", e);
        }

        return new JsonCursor(document.RootElement, file, "");
    }

    /// <summary>True when this value is JSON null.</summary>
    public bool IsNull => Element.ValueKind == JsonValueKind.Null;

    /// <summary>The child <paramref name="key"/>, which must exist.</summary>
    public JsonCursor Required(string key) =>
        Optional(key) ?? throw new InvalidDataException($"{File}: missing key '{Join(key)}'.");

    /// <summary>The child <paramref name="key"/>, or null when it is absent or JSON null.</summary>
    public JsonCursor? Optional(string key)
    {
        if (Element.ValueKind != JsonValueKind.Object)
        {
            throw Error("must be an object");
        }

        return Element.TryGetProperty(key, out var child) && child.ValueKind != JsonValueKind.Null
            ? new JsonCursor(child, File, Join(key))
            : null;
    }

    /// <summary>This value as a string.</summary>
    public string String() =>
        Element.ValueKind == JsonValueKind.String ? Element.GetString()! : throw Error("must be a string");

    /// <summary>This value as a 32-bit integer.</summary>
    public int Int() =>
        Element.ValueKind == JsonValueKind.Number && Element.TryGetInt32(out var value) ? value : throw Error("must be an integer");

    /// <summary>This value as a boolean.</summary>
    public bool Bool() => Element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Error("must be true or false"),
    };

    /// <summary>The items of this array, each with its index in the path.</summary>
    public IEnumerable<JsonCursor> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array)
        {
            throw Error("must be an array");
        }

        var file = File;
        var path = Path;
        return Element.EnumerateArray().Select((item, i) => new JsonCursor(item, file, $"{path}[{i}]"));
    }

    /// <summary>The properties of this object, each with its key in the path.</summary>
    public IEnumerable<(string Key, JsonCursor Value)> Properties()
    {
        if (Element.ValueKind != JsonValueKind.Object)
        {
            throw Error("must be an object");
        }

        var self = this;
        return Element.EnumerateObject().Select(p => (p.Name, new JsonCursor(p.Value, self.File, self.Join(p.Name))));
    }

    /// <summary>An error about this value that names the file and the key.</summary>
    public InvalidDataException Error(string message) =>
        new($"{File}: key '{(Path.Length == 0 ? "(root)" : Path)}' {message}.");

    private string Join(string key) => Path.Length == 0 ? key : $"{Path}.{key}";
}
