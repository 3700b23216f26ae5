using System.Text.Json;

namespace MMAdapt.Tools.NotebookTwins;

/// <summary>What a notebook cell holds.</summary>
internal enum CellKind { Code, Markdown, Other }

/// <summary>One cell of a notebook.</summary>
/// <param name="Number">1-based position among all the notebook's cells (what a reader counts in the editor).</param>
/// <param name="Kind">Code, markdown, or anything else (raw cells).</param>
/// <param name="Language">The kernel of a code cell (<c>csharp</c>, <c>fsharp</c>, ...); empty for other kinds.</param>
/// <param name="Lines">The source split into lines, without line endings.</param>
internal sealed record NotebookCell(int Number, CellKind Kind, string Language, IReadOnlyList<string> Lines)
{
    public bool IsCSharp => Language.Equals(NotebookCells.CSharp, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Reads the cells of a Polyglot Notebook (<c>.ipynb</c>, nbformat 4).</summary>
internal static class NotebookCells
{
    public const string CSharp = "csharp";

    /// <exception cref="NotebookTwinException">The text is not a notebook.</exception>
    public static IReadOnlyList<NotebookCell> Read(string notebookJson, string notebook)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(notebookJson);
        }
        catch (JsonException e)
        {
            throw new NotebookTwinException($"{notebook}: not valid JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
                throw new NotebookTwinException($"{notebook}: not a notebook (no \"cells\" array)");
            var defaultLanguage = StringAt(root, "metadata", "polyglot_notebook", "kernelInfo", "defaultKernelName") ?? CSharp;
            return cells.EnumerateArray().Select((cell, index) => ReadCell(cell, index + 1, defaultLanguage, notebook)).ToList();
        }
    }

    private static NotebookCell ReadCell(JsonElement cell, int number, string defaultLanguage, string notebook)
    {
        var kind = StringAt(cell, "cell_type") switch
        {
            "code" => CellKind.Code,
            "markdown" => CellKind.Markdown,
            _ => CellKind.Other,
        };
        // Polyglot Notebooks writes the cell's kernel under polyglot_notebook; older .NET Interactive files under dotnet_interactive.
        var language = kind != CellKind.Code ? ""
            : StringAt(cell, "metadata", "polyglot_notebook", "kernelName")
              ?? StringAt(cell, "metadata", "dotnet_interactive", "language")
              ?? defaultLanguage;
        return new NotebookCell(number, kind, language, SplitLines(SourceOf(cell, number, notebook)));
    }

    // nbformat allows the source as one string or as a list of strings (each usually ending in "\n").
    private static string SourceOf(JsonElement cell, int number, string notebook)
    {
        if (!cell.TryGetProperty("source", out var source))
            return "";
        return source.ValueKind switch
        {
            JsonValueKind.String => source.GetString()!,
            JsonValueKind.Array when source.EnumerateArray().All(part => part.ValueKind == JsonValueKind.String) =>
                string.Concat(source.EnumerateArray().Select(part => part.GetString())),
            _ => throw NotebookTwinException.InCell(notebook, number, "\"source\" is neither a string nor an array of strings"),
        };
    }

    private static string[] SplitLines(string text) =>
        text.Length == 0 ? [] : text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');

    private static string? StringAt(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                return null;
        }
        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }
}
