namespace MMAdapt.Core.Display;

/// <summary>
/// The formatter source for every <see cref="IRichDisplay"/> type: one formatter for <c>text/html</c>
/// (<see cref="IRichDisplay.ToHtml"/>) and one for <c>text/plain</c> (<see cref="IRichDisplay.ToText"/>).
/// </summary>
/// <remarks>.NET Interactive calls <see cref="CreateTypeFormatters"/> by reflection and then each formatter's
/// <c>MimeType</c> and <c>Format(object, TextWriter)</c>; nothing here references the kernel.</remarks>
public sealed class RichDisplayFormatters
{
    /// <summary>The HTML MIME type.</summary>
    public const string Html = "text/html";

    /// <summary>The plain-text MIME type.</summary>
    public const string PlainText = "text/plain";

    /// <summary>The two formatters.</summary>
    public IEnumerable<object> CreateTypeFormatters() => [new Formatter(Html), new Formatter(PlainText)];

    /// <summary>Writes an <see cref="IRichDisplay"/> value in one MIME type.</summary>
    /// <param name="mimeType"><see cref="Html"/> or <see cref="PlainText"/>.</param>
    public sealed class Formatter(string mimeType)
    {
        /// <summary>The MIME type this formatter writes.</summary>
        public string MimeType { get; } = mimeType;

        /// <summary>Writes <paramref name="instance"/>; false (nothing written) when it is not an <see cref="IRichDisplay"/>.</summary>
        public bool Format(object instance, TextWriter writer)
        {
            if (instance is not IRichDisplay value)
                return false;
            writer.Write(MimeType == Html ? value.ToHtml() : value.ToText());
            return true;
        }
    }
}
