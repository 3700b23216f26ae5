namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// A recipe that cannot be used: every problem found, at once, each naming its key path, file and line
/// (<see cref="RecipeProblem"/>). The message lists them one per line.
/// </summary>
public sealed class RecipeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problems">At least one problem.</param>
    /// <param name="file">The recipe file, named in the first line of the message (null for a recipe built in code).</param>
    public RecipeException(IReadOnlyList<RecipeProblem> problems, string? file = null)
        : base(Describe(problems, file))
    {
        Problems = problems;
    }

    /// <summary>The problems, in the order they were found.</summary>
    public IReadOnlyList<RecipeProblem> Problems { get; }

    private static string Describe(IReadOnlyList<RecipeProblem> problems, string? file)
    {
        var what = file is null ? "recipe" : $"recipe {file}";
        var count = problems.Count == 1 ? "1 problem" : $"{problems.Count} problems";
        return $"{what}: {count}:{Environment.NewLine}" + string.Join(Environment.NewLine, problems.Select(p => $"  {p}"));
    }
}
