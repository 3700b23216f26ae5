using System.Text;
using System.Text.Json;

namespace MMAdapt.Finetune.Recipes.Syntax;

/// <summary>
/// Reads a JSON recipe into the same <see cref="RecipeNode"/> tree as YAML, with lines taken from the reader's byte
/// offsets (comments and trailing commas are allowed). Strings become string scalars; numbers, <c>true</c>,
/// <c>false</c> and <c>null</c> keep their text, so the schema types them exactly as it types YAML.
/// </summary>
internal static class JsonTreeReader
{
    /// <summary>Parses a JSON document.</summary>
    /// <param name="bytes">The file's bytes (UTF-8, a byte-order mark is skipped).</param>
    /// <param name="file">The file, for locations.</param>
    /// <param name="problems">Receives repeated keys.</param>
    /// <returns>The root node.</returns>
    /// <exception cref="JsonException">The bytes are not JSON (the exception gives the line).</exception>
    public static RecipeNode Read(byte[] bytes, string file, List<RecipeProblem> problems)
    {
        ReadOnlySpan<byte> span = bytes;
        var offset = span.StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        var lineStarts = new List<long> { offset };
        for (var i = offset; i < bytes.Length; i++)
            if (bytes[i] == (byte)'\n')
                lineStarts.Add(i + 1);
        var reader = new Utf8JsonReader(span[offset..], new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var builder = new Builder(file, lineStarts, offset, problems);
        reader.Read();
        var root = builder.Node(ref reader, "");
        if (reader.Read())
            throw new JsonException($"'{reader.TokenType}' after the end of the recipe object", null, builder.LineOf(reader.TokenStartIndex) - 1, null);
        return root;
    }

    private sealed class Builder(string file, List<long> lineStarts, int offset, List<RecipeProblem> problems)
    {
        public int LineOf(long index)
        {
            var found = lineStarts.BinarySearch(index + offset);
            return found >= 0 ? found + 1 : ~found;
        }

        public RecipeNode Node(ref Utf8JsonReader reader, string path)
        {
            var at = new RecipeLocation(file, LineOf(reader.TokenStartIndex));
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    var map = new MapNode(at);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var key = reader.GetString()!;
                        var keyAt = new RecipeLocation(file, LineOf(reader.TokenStartIndex));
                        reader.Read();
                        var value = Node(ref reader, RecipePath.Key(path, key));
                        if (map.Find(key) is { } first)
                            problems.Add(RecipeProblem.At(RecipePath.Key(path, key), $"key '{key}' is repeated (first at line {first.KeyLocation.Line})", keyAt));
                        else
                            map.Entries.Add(new MapEntry(key, keyAt, value));
                    }
                    return map;
                case JsonTokenType.StartArray:
                    var list = new ListNode(at);
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        list.Items.Add(Node(ref reader, RecipePath.Index(path, list.Items.Count)));
                    return list;
                case JsonTokenType.String:
                    return new ScalarNode(at, reader.GetString()!, isString: true);
                default:
                    return new ScalarNode(at, Encoding.UTF8.GetString(reader.ValueSpan), isString: false);
            }
        }
    }
}
