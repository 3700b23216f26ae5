using System.Text;
using System.Text.RegularExpressions;

namespace MMAdapt.Tools.NotebookTwins;

/// <summary>
/// Converts a tutorial notebook (<c>NN-name.ipynb</c>, C# cells) into its file-based twin <c>NN-name.cs</c>,
/// which <c>dotnet run NN-name.cs</c> runs on .NET 10 from the notebook's folder.
/// </summary>
/// <remarks>
/// The twin is, in order: a header saying it is generated; the <c>#:project</c> lines mapped from the cells'
/// <c>#r</c> of <c>src/</c> DLLs (see <see cref="DirectiveMapping"/>); the usings found at the start of the cells
/// (<see cref="LeadingUsings"/>), plus <c>using MMAdapt.Core.Display;</c> when a cell displays a value; then each
/// non-empty C# cell after a blank line and <c>// cell N</c> (N counts all cells from 1, markdown included),
/// preceded by <c>// ## heading</c> for the markdown headings since the previous code cell. A cell's trailing
/// expression becomes <c>Notebook.Display(...);</c> (see <see cref="TrailingExpression"/>). Project and using
/// lines are deduplicated in first-seen order. LF line endings; the text ends with one newline.
/// </remarks>
public static partial class NotebookTwin
{
    /// <summary>How every twin starts; a <c>.cs</c> file starting otherwise is not a twin (a scratch file, say).</summary>
    public const string GeneratedMarker = "// Generated from ";

    /// <summary>Converts a notebook whose <c>#r</c> paths are relative to the folder of <paramref name="notebookFileName"/>.</summary>
    /// <param name="notebookJson">The <c>.ipynb</c> text.</param>
    /// <param name="notebookFileName">The notebook's file name or path; a bare name is taken to be in the current folder.</param>
    /// <returns>The twin's text.</returns>
    /// <exception cref="NotebookTwinException">The notebook has no C# code, a cell in another language, an
    /// unsupported directive, or a <c>#r</c> whose project does not exist.</exception>
    public static string Convert(string notebookJson, string notebookFileName) =>
        Convert(notebookJson, notebookFileName, Path.GetDirectoryName(Path.GetFullPath(notebookFileName))!);

    /// <summary>Converts a notebook whose <c>#r</c> paths are relative to <paramref name="tutorialsDirectory"/>.</summary>
    /// <inheritdoc cref="Convert(string, string)"/>
    public static string Convert(string notebookJson, string notebookFileName, string tutorialsDirectory)
    {
        var notebook = Path.GetFileName(notebookFileName);
        var projects = new List<string>();
        var usings = new List<string>();
        var cells = new List<string>();
        var headings = new List<string>();
        bool anyCSharp = false;
        foreach (var cell in NotebookCells.Read(notebookJson, notebook))
        {
            if (cell.Kind == CellKind.Markdown)
            {
                if (FirstHeading(cell.Lines) is { } heading)
                    headings.Add($"// {heading}");
                continue;
            }
            if (cell.Kind != CellKind.Code)
                continue;
            if (!cell.IsCSharp)
                throw NotebookTwinException.InCell(notebook, cell.Number, $"a '{cell.Language}' cell; a twin holds C# cells only");
            anyCSharp = true;

            var code = new List<string>();
            foreach (var line in cell.Lines)
            {
                var directive = DirectiveMapping.Map(line, notebook, cell.Number);
                if (directive.Kind == DirectiveKind.NotADirective)
                    code.Add(line);
                else if (directive.Kind == DirectiveKind.ProjectReference)
                    projects.Add(ExistingProject(directive.ProjectPath!, line.Trim(), tutorialsDirectory, notebook, cell.Number));
            }
            var (leadingUsings, statements) = LeadingUsings.Split(code);
            usings.AddRange(leadingUsings);
            var body = TrimBlankLines(statements);
            if (body.Count == 0)
                continue;
            if (TrailingExpression.TryWrap(body, out var wrapped))
                usings.Add(TrailingExpression.DisplayUsing);
            cells.Add(string.Join('\n', [.. headings, $"// cell {cell.Number}", .. wrapped]));
            headings.Clear();
        }
        if (!anyCSharp)
            throw new NotebookTwinException($"{notebook}: no C# code cells");
        return Render(notebook, projects.Distinct(StringComparer.Ordinal), usings.DistinctBy(LineComment.CodeOf, StringComparer.Ordinal), cells);
    }

    private static string Render(string notebook, IEnumerable<string> projects, IEnumerable<string> usings, IEnumerable<string> cells)
    {
        var text = new StringBuilder();
        text.Append($"{GeneratedMarker}{notebook} by tools/NotebookTwins: edit the notebook, then run\n");
        text.Append("//   dotnet run --project tools/NotebookTwins\n");
        text.Append($"// Run this twin from its folder: dotnet run {Path.ChangeExtension(notebook, ".cs")}\n");
        AppendSection(text, projects.Select(project => $"#:project {project}"));
        AppendSection(text, usings);
        foreach (var cell in cells)
            text.Append('\n').Append(cell).Append('\n');
        return text.ToString();
    }

    private static void AppendSection(StringBuilder text, IEnumerable<string> lines)
    {
        var section = string.Join('\n', lines);
        if (section.Length > 0)
            text.Append('\n').Append(section).Append('\n');
    }

    // The twin builds the project, so it must be where the #r path says its build came from.
    private static string ExistingProject(string project, string line, string tutorialsDirectory, string notebook, int cell)
    {
        if (!File.Exists(Path.Combine(tutorialsDirectory, project)))
            throw NotebookTwinException.InCell(notebook, cell,
                $"`{line}` maps to #:project {project}, which does not exist (relative to {tutorialsDirectory})");
        return project;
    }

    private static List<string> TrimBlankLines(IReadOnlyList<string> lines)
    {
        int first = 0, end = lines.Count;
        while (first < end && string.IsNullOrWhiteSpace(lines[first]))
            first++;
        while (end > first && string.IsNullOrWhiteSpace(lines[end - 1]))
            end--;
        return lines.Skip(first).Take(end - first).ToList();
    }

    // The first ATX heading outside fenced code ("# Title", "## Step 2"), trimmed.
    private static string? FirstHeading(IReadOnlyList<string> lines)
    {
        bool inFence = false;
        foreach (var line in lines)
        {
            var text = line.Trim();
            if (text.StartsWith("```", StringComparison.Ordinal) || text.StartsWith("~~~", StringComparison.Ordinal))
                inFence = !inFence;
            else if (!inFence && Heading().IsMatch(text))
                return text;
        }
        return null;
    }

    [GeneratedRegex(@"^#{1,6}\s+\S")]
    private static partial Regex Heading();
}
