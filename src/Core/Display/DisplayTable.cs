using System.Net;
using System.Text;

namespace MMAdapt.Core.Display;

/// <summary>
/// A small table of strings that renders as aligned plain text and as an HTML <c>&lt;table&gt;</c>: the one layout
/// behind every <see cref="IRichDisplay"/> summary, so text and HTML always show the same cells.
/// </summary>
[TypeFormatterSource(typeof(RichDisplayFormatters))]
public sealed class DisplayTable : IRichDisplay
{
    private readonly List<string[]> rows = [];
    private readonly bool[] rightAligned;

    /// <summary>Creates an empty table.</summary>
    /// <param name="columns">Column headers. A header ending in <c>&gt;</c> marks a right-aligned (numeric) column;
    /// the marker is not shown.</param>
    public DisplayTable(params string[] columns)
    {
        if (columns.Length == 0)
            throw new ArgumentException("a table needs at least one column.", nameof(columns));
        rightAligned = columns.Select(c => c.EndsWith('>')).ToArray();
        Columns = columns.Select(c => c.TrimEnd('>')).ToArray();
    }

    /// <summary>A line above the table (shown as a caption), or null.</summary>
    public string? Title { get; init; }

    /// <summary>Lines below the table (totals, notes).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The column headers.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The rows added so far.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => rows;

    /// <summary>Adds a row.</summary>
    /// <exception cref="ArgumentException">The row does not have one cell per column.</exception>
    public DisplayTable Add(params string[] cells)
    {
        if (cells.Length != Columns.Count)
            throw new ArgumentException($"a row of table '{Title ?? string.Join("|", Columns)}' needs {Columns.Count} cells ({string.Join(", ", Columns)}), got {cells.Length}.", nameof(cells));
        rows.Add(cells);
        return this;
    }

    /// <inheritdoc/>
    public string ToText()
    {
        var widths = Columns.Select((c, i) => rows.Select(r => r[i].Length).Append(c.Length).Max()).ToArray();
        string Line(IReadOnlyList<string> cells) => string.Join("  ", cells.Select((c, i) => rightAligned[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd();
        var text = new StringBuilder();
        if (Title is not null)
            text.AppendLine(Title);
        text.AppendLine(Line(Columns));
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
            text.AppendLine(Line(row));
        foreach (var note in Notes)
            text.AppendLine(note);
        return text.ToString().TrimEnd('\n', '\r');
    }

    /// <inheritdoc/>
    public string ToHtml()
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        string Align(int i) => rightAligned[i] ? " style=\"text-align:right\"" : " style=\"text-align:left\"";
        var html = new StringBuilder("<div>");
        html.Append("<table>");
        if (Title is not null)
            html.Append("<caption style=\"text-align:left;font-weight:bold\">").Append(E(Title)).Append("</caption>");
        html.Append("<thead><tr>");
        for (int i = 0; i < Columns.Count; i++)
            html.Append("<th").Append(Align(i)).Append('>').Append(E(Columns[i])).Append("</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            for (int i = 0; i < row.Length; i++)
                html.Append("<td").Append(Align(i)).Append('>').Append(E(row[i])).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        foreach (var note in Notes)
            html.Append("<p>").Append(E(note)).Append("</p>");
        return html.Append("</div>").ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => ToText();

    /// <summary>A count with thousands separators (invariant culture): 1,234,567.</summary>
    public static string Count(long value) => value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A fraction as a percentage with <paramref name="decimals"/> decimals: 12.5%.</summary>
    public static string Percent(double fraction, int decimals = 1) =>
        (fraction * 100).ToString("F" + decimals, System.Globalization.CultureInfo.InvariantCulture) + "%";

    /// <summary>A number with <paramref name="decimals"/> decimals (invariant culture).</summary>
    public static string Number(double value, int decimals = 4) =>
        value.ToString("F" + decimals, System.Globalization.CultureInfo.InvariantCulture);
}
