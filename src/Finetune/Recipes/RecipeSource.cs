namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// Where a loaded recipe's values came from: the file, and for every key path (<c>stages[1].train[0]</c>) the line
/// it stands on, or the override or environment variable that set it. <see cref="RecipeLoader"/> attaches it to the
/// <see cref="Recipe"/> it returns (<see cref="Recipe.Source"/>); <see cref="RecipeValidator"/> and the layers that
/// read settings objects use it to point at the line of a problem.
/// </summary>
public sealed class RecipeSource
{
    private readonly IReadOnlyDictionary<string, RecipeLocation> locations;

    /// <summary>Creates a source.</summary>
    /// <param name="file">The recipe file (full path).</param>
    /// <param name="locations">Key path to location.</param>
    public RecipeSource(string file, IReadOnlyDictionary<string, RecipeLocation> locations)
    {
        File = file;
        this.locations = locations;
    }

    /// <summary>The recipe file (full path).</summary>
    public string File { get; }

    /// <summary>
    /// The location of a key path; for a path that was not written (a key left to its default, an item past the end)
    /// the location of its nearest written ancestor (<c>stages[0].lr</c> falls back to <c>stages[0]</c>), else the
    /// file without a line.
    /// </summary>
    /// <param name="key">A key path as <see cref="RecipeProblem.Key"/> writes it.</param>
    public RecipeLocation Locate(string key)
    {
        for (var path = key; path.Length > 0; path = Parent(path))
            if (locations.TryGetValue(path, out var location))
                return location;
        return new RecipeLocation(File, null);
    }

    /// <summary>The location of a key path and the key, for messages: <c>recipes/x.yaml:12 (connectors.image)</c>.</summary>
    /// <param name="key">A key path (<c>connectors.image</c>, <c>adapters[0].settings</c>).</param>
    public string Describe(string key) => $"{Locate(key)} ({key})";

    /// <summary>The key path one level up: <c>stages[1].train[0]</c> → <c>stages[1].train</c> → <c>stages[1]</c>.</summary>
    internal static string Parent(string path)
    {
        var cut = path.EndsWith("\"]", StringComparison.Ordinal)
            ? path.LastIndexOf("[\"", StringComparison.Ordinal)
            : Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }
}
