using System.Reflection;

namespace MMAdapt.Cli.Commands;

/// <summary>The recipes shipped in the repository's <c>recipes/</c> folder, embedded in the command.</summary>
internal static class BuiltInRecipes
{
    private const string Prefix = "recipes/";

    /// <summary>Names (file names without extension), sorted.</summary>
    public static IReadOnlyList<string> Names =>
        Assembly.GetExecutingAssembly().GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(n => Path.GetFileNameWithoutExtension(n[Prefix.Length..])).Order(StringComparer.Ordinal).ToList();

    /// <summary>A recipe's text.</summary>
    public static string? Text(string name)
    {
        var resource = Assembly.GetExecutingAssembly().GetManifestResourceNames().FirstOrDefault(n => n == $"{Prefix}{name}.yaml" || n == $"{Prefix}{name}.json");
        if (resource is null)
            return null;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The repository copy of a built-in recipe when the command runs from a checkout (relative paths in
    /// recipes resolve against their folder), else null.</summary>
    public static string? Find(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "recipes", name + ".yaml");
            if (File.Exists(candidate))
                return candidate;
        }
        var cwd = Path.Combine(Directory.GetCurrentDirectory(), "recipes", name + ".yaml");
        return File.Exists(cwd) ? cwd : null;
    }
}
