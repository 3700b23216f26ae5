namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// Where one recipe value came from: a line of the recipe file, or a command-line override or environment variable
/// (<see cref="Via"/>, which then has no file or line).
/// </summary>
/// <param name="File">The recipe file (full path), or null for an override, an environment variable or code.</param>
/// <param name="Line">The 1-based line in <paramref name="File"/>, where known.</param>
/// <param name="Via">For values from outside the file: <c>override 'stages.0.lr=3e-4'</c> or
/// <c>environment variable MMADAPT_SEED</c>.</param>
public sealed record RecipeLocation(string? File, int? Line, string? Via = null)
{
    /// <summary>Nowhere known (a recipe built in code).</summary>
    public static RecipeLocation Unknown { get; } = new(null, null);

    /// <summary><c>file:line</c>, <c>file</c>, the override or variable, or an empty string.</summary>
    public override string ToString() =>
        Via ?? (File is null ? "" : Line is null ? File : $"{File}:{Line}");
}
