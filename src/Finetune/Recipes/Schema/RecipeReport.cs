using System.Globalization;

namespace MMAdapt.Finetune.Recipes.Schema;

/// <summary>The problems <see cref="RecipeValidator"/> finds, each placed at its key's line through
/// <see cref="Recipe.Source"/>, with the checks that recur (required, at least, one of).</summary>
internal sealed class RecipeReport(Recipe recipe)
{
    /// <summary>The problems found so far.</summary>
    public List<RecipeProblem> Problems { get; } = [];

    /// <summary>Adds a problem about <paramref name="key"/>.</summary>
    public void Add(string key, string message) =>
        Problems.Add(RecipeProblem.At(key, message, recipe.Source?.Locate(key) ?? RecipeLocation.Unknown));

    /// <summary>A string that must be given.</summary>
    public bool Required(string key, string? value, string what)
    {
        if (!string.IsNullOrWhiteSpace(value))
            return true;
        Add(key, $"is required: {what}");
        return false;
    }

    /// <summary>A number that must be at least <paramref name="minimum"/>.</summary>
    public void AtLeast(string key, double value, double minimum)
    {
        if (!(value >= minimum) || double.IsInfinity(value))
            Add(key, $"must be at least {Format(minimum)}, got {Format(value)}");
    }

    /// <summary>A number that must be above zero.</summary>
    public void Positive(string key, double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
            Add(key, $"must be above 0, got {Format(value)}");
    }

    /// <summary>A name from a closed list (case-sensitive); a wrong one is reported as not <paramref name="what"/>
    /// (which lists the valid names), with the closest valid name when there is one.</summary>
    public void OneOf(string key, string value, IReadOnlyCollection<string> valid, string what)
    {
        if (!valid.Contains(value))
            Add(key, $"'{value}' is not {what}{DidYouMean(value, valid)}");
    }

    /// <summary><c>; did you mean 'x'?</c> for the closest valid name, or nothing.</summary>
    public static string DidYouMean(string value, IEnumerable<string> valid) =>
        ClosestName.Find(value, valid) is { } best ? $"; did you mean '{best}'?" : "";

    /// <summary>A number as messages write it.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
