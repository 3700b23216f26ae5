namespace MMAdapt.Finetune.Data;

/// <summary>
/// Turns the media paths written in a dataset into absolute paths inside the dataset's folder. A path may be
/// relative to the folder, or absolute when it lies inside it; one that leaves the folder (through <c>..</c>,
/// as an absolute path elsewhere, or through a symbolic link, at any level, whose target is outside) is
/// rejected, naming the file, the row and the path.
/// </summary>
internal sealed class MediaPathResolver
{
    private const int MaxLinkDepth = 40;
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private readonly string folder;
    private readonly string realFolder;
    private readonly Dictionary<string, string> realDirectories = new(StringComparer.Ordinal);

    /// <summary>A resolver for the dataset file's folder.</summary>
    public MediaPathResolver(string datasetFolder)
    {
        folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(datasetFolder));
        realFolder = RealPath(folder, 0);
    }

    /// <summary>The absolute path of <paramref name="written"/>, checked.</summary>
    /// <param name="row">The row, for errors.</param>
    /// <param name="kind"><c>image</c> or <c>audio</c>, for errors.</param>
    /// <param name="written">The path as the dataset writes it.</param>
    /// <param name="mustExist">Also require an existing file.</param>
    /// <exception cref="DatasetException">The path is invalid, leaves the folder, or (with <paramref name="mustExist"/>) is not a file.</exception>
    public string Resolve(RowReader row, string kind, string written, bool mustExist)
    {
        string full;
        try
        {
            full = Path.GetFullPath(Path.IsPathRooted(written) ? written : Path.Combine(folder, written));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw row.Fail($"{kind} path '{written}' is not a valid path ({e.Message}).");
        }

        if (!Inside(folder, full))
            throw row.Fail($"{kind} path '{written}' resolves to {full}, outside the dataset's folder {folder}; media must lie inside it.");

        string real;
        try
        {
            real = RealPath(full, 0);
        }
        catch (IOException e)
        {
            throw row.Fail($"{kind} path '{written}' cannot be resolved: {e.Message}");
        }

        if (!Inside(realFolder, real))
            throw row.Fail($"{kind} path '{written}' leads through a symbolic link to {real}, outside the dataset's folder {folder}; media must lie inside it.");

        if (mustExist && !File.Exists(full))
            throw row.Fail(Directory.Exists(full)
                ? $"{kind} path '{written}' is a folder ({full}); expected a file."
                : $"{kind} file '{written}' not found (looked for {full}).");
        return full;
    }

    private static bool Inside(string root, string path)
    {
        var prefix = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        return path.Length > prefix.Length && path.StartsWith(prefix, PathComparison);
    }

    // The path with every symbolic link on it replaced by its target, from the root down (parts that do not
    // exist are kept as written). Folders are cached: a dataset's media share a few of them.
    private string RealPath(string full, int depth)
    {
        if (depth > MaxLinkDepth)
            throw new IOException($"more than {MaxLinkDepth} symbolic links (a loop?) on the way to {full}.");
        var parent = Path.GetDirectoryName(full);
        if (parent is null)
            return full;
        if (!realDirectories.TryGetValue(parent, out var realParent))
            realDirectories[parent] = realParent = RealPath(parent, depth);
        var candidate = Path.Combine(realParent, Path.GetFileName(full));
        var target = new FileInfo(candidate).LinkTarget;
        if (target is null)
            return candidate;
        return RealPath(Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(realParent, target)), depth + 1);
    }
}
