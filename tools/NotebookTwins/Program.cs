namespace MMAdapt.Tools.NotebookTwins;

/// <summary>
/// <c>dotnet run --project tools/NotebookTwins [--check] [--tutorials DIR]</c>: regenerates the twins
/// <c>tutorials/*.cs</c> from <c>tutorials/*.ipynb</c>, or with <c>--check</c> only reports those out of sync.
/// </summary>
internal static class Program
{
    private const string Usage = """
        Usage: dotnet run --project tools/NotebookTwins [--check] [--tutorials DIR]
          Regenerates each file-based twin DIR/NN-name.cs from DIR/NN-name.ipynb (DIR: tutorials/ of the repository).
          --check   writes nothing; exits 1 listing each twin that is missing, differs or has no notebook.
        """;

    /// <summary>Runs the command; exit code 0 done or in sync, 1 out of sync or a notebook error, 2 bad arguments.</summary>
    public static int Main(string[] args) => Run(args, Environment.CurrentDirectory, Console.Out, Console.Error);

    internal static int Run(string[] args, string currentDirectory, TextWriter output, TextWriter error)
    {
        bool check = false;
        string? tutorials = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--check":
                    check = true;
                    break;
                case "--tutorials" when i + 1 < args.Length:
                    tutorials = Path.GetFullPath(args[++i], currentDirectory);
                    break;
                case "-h" or "--help":
                    output.WriteLine(Usage);
                    return 0;
                default:
                    error.WriteLine($"unexpected argument '{args[i]}'\n{Usage}");
                    return 2;
            }
        }
        tutorials ??= DefaultTutorialsFolder(currentDirectory);
        if (tutorials is null || !Directory.Exists(tutorials))
        {
            error.WriteLine(tutorials is null
                ? "no MMAdapt.sln found above the current folder; pass --tutorials DIR"
                : $"no folder {tutorials}");
            return 2;
        }

        var folder = new TwinFolder(tutorials);
        try
        {
            if (check)
            {
                var differences = folder.Differences();
                foreach (var difference in differences)
                    error.WriteLine(difference);
                if (differences.Count == 0)
                    return 0;
                error.WriteLine("Regenerate the twins: dotnet run --project tools/NotebookTwins");
                return 1;
            }
            var changes = folder.Update();
            foreach (var change in changes)
                output.WriteLine(change);
            output.WriteLine(changes.Count == 0 ? $"twins in {tutorials} are up to date" : $"{changes.Count} file(s) changed in {tutorials}");
            return 0;
        }
        catch (NotebookTwinException e)
        {
            error.WriteLine(e.Message);
            return 1;
        }
    }

    // tutorials/ beside MMAdapt.sln, searched up from where the command runs, then from the tool's own build folder.
    private static string? DefaultTutorialsFolder(string currentDirectory) =>
        (RepositoryRootAbove(currentDirectory) ?? RepositoryRootAbove(AppContext.BaseDirectory)) is { } root
            ? Path.Combine(root, "tutorials")
            : null;

    private static string? RepositoryRootAbove(string directory)
    {
        for (var folder = new DirectoryInfo(directory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "MMAdapt.sln")))
                return folder.FullName;
        }
        return null;
    }
}
