namespace MMAdapt.Tests.TestSupport;

/// <summary>Paths in the repository checkout the tests were built from: the folder holding MMAdapt.sln, found
/// by walking up from the test assembly (for files the tests read in place rather than copy as fixtures).</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot(AppContext.BaseDirectory);

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "MMAdapt.sln")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"no MMAdapt.sln above {start}");
    }
}
