using System.Text.RegularExpressions;

namespace MMAdapt.Tools.NotebookTwins;

/// <summary>
/// Takes the using directives off the start of a cell. A C# script accepts usings at the start of every cell;
/// a file-based app needs them before its first statement, so the twin gathers them at the top.
/// </summary>
internal static partial class LeadingUsings
{
    /// <summary>
    /// Splits a cell's lines into the usings before its first statement and the other lines. Blank and <c>//</c> comment
    /// lines before the first statement stay with the statements; a using after the first statement is left where it is
    /// (the twin will not compile, which points at it).
    /// </summary>
    public static (IReadOnlyList<string> Usings, IReadOnlyList<string> Statements) Split(IReadOnlyList<string> lines)
    {
        var usings = new List<string>();
        var statements = new List<string>();
        bool inStatements = false;
        foreach (var line in lines)
        {
            var text = line.Trim();
            if (!inStatements && UsingDirective().IsMatch(LineComment.CodeOf(text)))
                usings.Add(text);
            else
            {
                inStatements |= LineComment.CodeOf(text).Length > 0;
                statements.Add(line);
            }
        }
        return (usings, statements);
    }

    // using X.Y;  using static X.Y;  using A = X.Y<Z>;  but not the statements using var x = ...; or using (...).
    [GeneratedRegex("""^using\s+(?:static\s+)?(?:[A-Za-z_]\w*\s*=\s*)?(?:global::)?[A-Za-z_][\w.]*(?:<[\w.,\s<>]*>)?\s*;$""")]
    private static partial Regex UsingDirective();
}
