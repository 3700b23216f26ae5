using System.Text;
using System.Text.Json;

namespace MMAdapt.Finetune.Data;

/// <summary>One row of a dataset file as JSON, with where it stands.</summary>
/// <param name="Row">1-based: the JSONL line, or the JSON array index + 1.</param>
/// <param name="Location">How errors name the place: <c>"line 7"</c> or <c>"row 4 (index 3)"</c>.</param>
/// <param name="Element">The row (valid until the enumeration moves on).</param>
internal readonly record struct DatasetRow(int Row, string Location, JsonElement Element);

/// <summary>
/// Reads the rows of a dataset file: a JSON array of objects (first non-blank character <c>[</c>) or JSONL
/// (one object per line; blank lines skipped). Malformed JSON fails naming the file and the line.
/// </summary>
internal static class DatasetRows
{
    /// <summary>The rows in file order; each element is valid until the next one is requested.</summary>
    /// <exception cref="DatasetException">Malformed JSON, a row that is not an object, or no rows at all.</exception>
    public static IEnumerable<DatasetRow> Read(string path)
    {
        int count = 0;
        var rows = StartsWithArray(path) ? ReadArray(path) : ReadLines(path);
        foreach (var row in rows)
        {
            if (row.Element.ValueKind != JsonValueKind.Object)
                throw new DatasetException(path, row.Location, row.Row, $"expected a JSON object (one conversation), got {Describe(row.Element.ValueKind)}.");
            count++;
            yield return row;
        }

        if (count == 0)
            throw new DatasetException(path, null, null, "no rows; expected a JSON array of objects, or one JSON object per line (JSONL).");
    }

    /// <summary>"an array", "a string", ... for error messages.</summary>
    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    private static bool StartsWithArray(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        int c;
        while ((c = reader.Read()) >= 0 && char.IsWhiteSpace((char)c))
        {
        }
        return c == '[';
    }

    private static IEnumerable<DatasetRow> ReadArray(string path)
    {
        JsonDocument document;
        using (var stream = File.OpenRead(path))
        {
            try
            {
                document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 256 });
            }
            catch (JsonException e)
            {
                throw Malformed(path, $"line {(e.LineNumber ?? 0) + 1}", null, e);
            }
        }

        using (document)
        {
            int index = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                yield return new DatasetRow(index + 1, $"row {index + 1} (index {index})", element);
                index++;
            }
        }
    }

    private static IEnumerable<DatasetRow> ReadLines(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        int line = 0;
        string? text;
        while ((text = reader.ReadLine()) is not null)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
                continue;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException e)
            {
                throw Malformed(path, $"line {line}", line, e);
            }

            using (document)
                yield return new DatasetRow(line, $"line {line}", document.RootElement);
        }
    }

    private static DatasetException Malformed(string path, string location, int? row, JsonException e)
    {
        // System.Text.Json appends " Path: $.x | LineNumber: 2 | BytePositionInLine: 7."; keep the sentence, say the column.
        var message = e.Message;
        foreach (var cut in new[] { " Path: ", " LineNumber: " })
        {
            int at = message.IndexOf(cut, StringComparison.Ordinal);
            if (at >= 0)
                message = message[..at];
        }
        var column = e.BytePositionInLine is long b ? $" (byte {b + 1} of the line)" : "";
        return new DatasetException(path, location, row, $"malformed JSON{column}: {message.Trim()}", e);
    }
}
