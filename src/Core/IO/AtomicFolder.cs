namespace MMAdapt.Core.IO;

/// <summary>
/// Writes a whole folder so that readers see either no folder (or the previous one) or the complete new one: the
/// content is built beside the target under a hidden temporary name and renamed into place at the end. A failure
/// part-way leaves no output folder, and an existing one being replaced intact.
/// </summary>
public static class AtomicFolder
{
    /// <summary>Fills a temporary folder through <paramref name="fill"/> and moves it to <paramref name="folder"/>.</summary>
    /// <param name="folder">The final folder path.</param>
    /// <param name="overwrite">Replace an existing folder (or file) at that path.</param>
    /// <param name="purpose">A word for the temporary name (<c>merging</c>, <c>exporting</c>).</param>
    /// <param name="fill">Writes the content into the (existing, empty) temporary folder it is given.</param>
    /// <returns>The full path of the folder written.</returns>
    /// <exception cref="IOException"><paramref name="folder"/> exists and <paramref name="overwrite"/> is false.</exception>
    public static string Write(string folder, bool overwrite, string purpose, Action<string> fill)
    {
        var output = FullPath(folder);
        RefuseExisting(output, overwrite);
        var parent = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(output)}.{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            fill(temp);
            MoveIntoPlace(temp, output);
            return output;
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>The full path of <paramref name="folder"/> without a trailing separator.</summary>
    public static string FullPath(string folder) =>
        Path.GetFullPath(folder.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));

    /// <summary>Throws when <paramref name="output"/> exists and may not be replaced (call before any expensive work).</summary>
    /// <exception cref="IOException">The folder exists and <paramref name="overwrite"/> is false.</exception>
    public static void RefuseExisting(string output, bool overwrite)
    {
        if ((Directory.Exists(output) || File.Exists(output)) && !overwrite)
            throw new IOException($"{output}: output folder already exists; choose another folder or allow overwriting (--overwrite).");
    }

    // An existing output is renamed aside first and deleted only once the new folder stands in its place.
    private static void MoveIntoPlace(string temp, string output)
    {
        if (!Directory.Exists(output) && !File.Exists(output))
        {
            Directory.Move(temp, output);
            return;
        }
        var aside = $"{output}.replaced-{Guid.NewGuid():N}";
        if (File.Exists(output))
            File.Move(output, aside);
        else
            Directory.Move(output, aside);
        try
        {
            Directory.Move(temp, output);
        }
        catch
        {
            if (File.Exists(aside))
                File.Move(aside, output);
            else
                Directory.Move(aside, output);
            throw;
        }
        if (File.Exists(aside))
            File.Delete(aside);
        else
            Directory.Delete(aside, recursive: true);
    }
}
