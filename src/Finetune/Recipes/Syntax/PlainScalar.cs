using System.Globalization;
using System.Text.RegularExpressions;

namespace MMAdapt.Finetune.Recipes.Syntax;

/// <summary>The type of a scalar.</summary>
internal enum ScalarKind
{
    /// <summary><c>null</c>, <c>~</c> or empty.</summary>
    Null,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Bool,

    /// <summary>A whole number (decimal, <c>0x</c> hex or <c>0o</c> octal).</summary>
    Int,

    /// <summary>A number with a fraction or exponent, or <c>.inf</c>, <c>.nan</c>.</summary>
    Float,

    /// <summary>Anything else.</summary>
    String,
}

/// <summary>
/// Types unquoted scalars by YAML 1.2's core schema, which YAML 1.2 and JSON agree on: <c>null</c>/<c>~</c>/empty,
/// <c>true</c>/<c>false</c> (not YAML 1.1's <c>yes</c>/<c>on</c>), integers, and floats such as <c>3e-4</c> (YAML
/// 1.1 needed <c>3.0e-4</c>). Override and environment values are typed by the same rules.
/// </summary>
internal static partial class PlainScalar
{
    /// <summary>The kind of an unquoted scalar's text.</summary>
    public static ScalarKind Classify(string text) => text switch
    {
        "" or "~" or "null" or "Null" or "NULL" => ScalarKind.Null,
        "true" or "True" or "TRUE" or "false" or "False" or "FALSE" => ScalarKind.Bool,
        _ when IntPattern().IsMatch(text) => ScalarKind.Int,
        _ when FloatPattern().IsMatch(text) => ScalarKind.Float,
        _ => ScalarKind.String,
    };

    /// <summary>The value of a <see cref="ScalarKind.Bool"/> scalar.</summary>
    public static bool ToBool(string text) => text[0] is 't' or 'T';

    /// <summary>The value of a <see cref="ScalarKind.Int"/> scalar, or null when it does not fit a long.</summary>
    public static long? ToLong(string text)
    {
        var negative = text.StartsWith('-');
        var digits = text.TrimStart('+', '-');
        var (body, style, radix) = digits.StartsWith("0x", StringComparison.Ordinal) ? (digits[2..], NumberStyles.AllowHexSpecifier, 16)
            : digits.StartsWith("0o", StringComparison.Ordinal) ? (digits[2..], NumberStyles.None, 8)
            : (digits, NumberStyles.None, 10);
        try
        {
            var magnitude = radix == 8 ? Convert.ToInt64(body, 8)
                : long.Parse(body, style, CultureInfo.InvariantCulture);
            return negative ? -magnitude : magnitude;
        }
        catch (Exception e) when (e is OverflowException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The value of a <see cref="ScalarKind.Int"/> or <see cref="ScalarKind.Float"/> scalar.</summary>
    public static double ToDouble(string text) => text.TrimStart('+', '-').ToLowerInvariant() switch
    {
        ".inf" => text.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity,
        ".nan" => double.NaN,
        _ when PlainScalar.Classify(text) == ScalarKind.Int => ToLong(text) ?? double.Parse(text, CultureInfo.InvariantCulture),
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    /// <summary>Writes a double so that it reads back as the same float (never as an integer).</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value))
            return ".nan";
        if (double.IsInfinity(value))
            return value > 0 ? ".inf" : "-.inf";
        var text = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        return text.Contains('.') || text.Contains('e') ? text : text + ".0";
    }

    [GeneratedRegex("^[-+]?([0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")]
    private static partial Regex FloatPattern();
}
