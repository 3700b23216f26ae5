namespace MMAdapt.Tools.NotebookTwins;

/// <summary>
/// Turns a cell's trailing expression into an explicit display call. A C# script cell may end with an
/// expression without a semicolon (<c>model.Summary()</c>) whose value the notebook shows; in the twin that
/// becomes <c>Notebook.Display(model.Summary());</c>.
/// </summary>
/// <remarks>
/// <para>The rule works on lines, not on syntax, and looks at each line's code without its trailing <c>//</c>
/// comment (<see cref="LineComment"/>). Ignoring trailing blank and comment lines, the cell ends with an
/// expression unless its last line ends with <c>;</c>, <c>}</c> or <c>{</c>, or is a <c>#</c> preprocessor
/// line. The expression starts after the nearest line before it that ends with <c>;</c>, <c>}</c> or <c>{</c>,
/// is blank, is a comment or a preprocessor line (or at the cell's first line), so a fluent chain over several
/// lines is one expression. <c>Notebook.Display(</c> goes before its first character and <c>);</c> after its
/// last, before a trailing comment; indentation and line breaks are kept.</para>
/// <para>Conventions for notebook authors: no blank or comment line inside a multi-line trailing expression.
/// An expression ending in <c>}</c> (an anonymous object, a switch expression) is not recognised: assign it and
/// end the cell with the variable.</para>
/// </remarks>
internal static class TrailingExpression
{
    /// <summary>The call the twin makes to show a value, and the namespace it needs.</summary>
    public const string DisplayCall = "Notebook.Display";
    public const string DisplayUsing = "using MMAdapt.Core.Display;";

    /// <summary>Wraps the trailing expression of <paramref name="lines"/>, if there is one.</summary>
    /// <returns>False (and <paramref name="wrapped"/> a copy of the lines) when the cell ends with a statement.</returns>
    public static bool TryWrap(IReadOnlyList<string> lines, out string[] wrapped)
    {
        wrapped = [.. lines];
        int last = wrapped.Length - 1;
        while (last >= 0 && IsBlankOrComment(wrapped[last]))
            last--;
        if (last < 0 || EndsStatement(wrapped[last]))
            return false;
        int first = last;
        while (first > 0 && !EndsStatement(wrapped[first - 1]) && !IsBlankOrComment(wrapped[first - 1]))
            first--;
        var start = wrapped[first];
        int indent = start.Length - start.TrimStart().Length;
        wrapped[first] = $"{start[..indent]}{DisplayCall}({start[indent..]}";
        wrapped[last] = LineComment.CodeOf(wrapped[last]) + ");" + LineComment.CommentOf(wrapped[last]);
        return true;
    }

    private static bool IsBlankOrComment(string line) => LineComment.CodeOf(line).Trim().Length == 0;

    private static bool EndsStatement(string line)
    {
        var code = LineComment.CodeOf(line).Trim();
        return code.StartsWith('#') || code.EndsWith(';') || code.EndsWith('}') || code.EndsWith('{');
    }
}
