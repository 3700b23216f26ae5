namespace MMAdapt.Tools.NotebookTwins;

/// <summary>
/// Finds where a line's code ends and a trailing <c>//</c> comment begins, so that <c>var x = 1; // one</c> still
/// counts as ending with <c>;</c>. A scan, not a parser: it skips <c>//</c> inside "..." and @"..." strings and
/// character literals; raw and interpolated strings holding quotes may fool it.
/// </summary>
internal static class LineComment
{
    /// <summary>The line up to its trailing <c>//</c> comment, trailing spaces removed.</summary>
    public static string CodeOf(string line) => line[..CodeLength(line)].TrimEnd();

    /// <summary>The trailing comment with the spaces before it (<c>" // one"</c>), or empty.</summary>
    public static string CommentOf(string line) => line[line[..CodeLength(line)].TrimEnd().Length..].TrimEnd();

    private static int CodeLength(string line)
    {
        char quote = '\0';
        bool verbatim = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == '\\' && !verbatim)
                    i++;
                else if (c == quote && verbatim && i + 1 < line.Length && line[i + 1] == quote)
                    i++;
                else if (c == quote)
                    quote = '\0';
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                verbatim = c == '"' && i > 0 && (line[i - 1] == '@' || (line[i - 1] == '$' && i > 1 && line[i - 2] == '@'));
            }
            else if (c == '/' && i + 1 < line.Length && line[i + 1] == '/')
                return i;
        }
        return line.Length;
    }
}
