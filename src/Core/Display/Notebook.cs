namespace MMAdapt.Core.Display;

/// <summary>
/// Shows a value the way a notebook cell's last expression is shown, for code that runs outside a notebook (the
/// tutorials' file-based twins): <see cref="IRichDisplay"/> values as their text form, anything else by
/// <see cref="object.ToString"/>.
/// </summary>
public static class Notebook
{
    /// <summary>Where displayed text goes (standard output unless set).</summary>
    public static TextWriter Output { get; set; } = Console.Out;

    /// <summary>Writes <paramref name="value"/> and a blank line.</summary>
    public static void Display(object? value)
    {
        string text = value switch
        {
            null => "null",
            IRichDisplay rich => rich.ToText(),
            _ => value.ToString() ?? "",
        };
        Output.WriteLine(text);
        Output.WriteLine();
    }
}
