namespace MMAdapt.Core.Display;

/// <summary>
/// Names the class that makes a type's notebook formatters. .NET Interactive recognises this attribute by its name
/// and its <see cref="FormatterSourceType"/> and <see cref="PreferredMimeTypes"/> properties, so a library can offer
/// HTML output without a package reference to the kernel (its convention-based formatter sources).
/// </summary>
/// <param name="formatterSourceType">A class with a public parameterless constructor and a public
/// <c>CreateTypeFormatters()</c> method (see <see cref="RichDisplayFormatters"/>).</param>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = true)]
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    /// <summary>The class that makes the formatters.</summary>
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>The MIME types a notebook should prefer for the type (HTML first).</summary>
    public string[] PreferredMimeTypes { get; set; } = [RichDisplayFormatters.Html];
}
