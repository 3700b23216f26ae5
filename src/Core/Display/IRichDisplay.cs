namespace MMAdapt.Core.Display;

/// <summary>
/// A value that shows itself both as plain text (a console, a log, a file-based tutorial) and as HTML (a notebook).
/// </summary>
/// <remarks>
/// Implementers also carry <c>[TypeFormatterSource(typeof(RichDisplayFormatters))]</c> so that .NET Interactive
/// (Polyglot Notebooks) picks the HTML form without MMAdapt referencing it. <see cref="object.ToString"/> should
/// return <see cref="ToText"/>, as TorchSharp's tensors return their own summary.
/// </remarks>
public interface IRichDisplay
{
    /// <summary>The value as aligned plain text (no trailing newline).</summary>
    string ToText();

    /// <summary>The value as an HTML fragment (a table, an image), safe to embed in a page.</summary>
    string ToHtml();
}
