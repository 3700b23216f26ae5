using System.Globalization;
using System.Text.RegularExpressions;

namespace MMAdapt.Finetune.Training;

/// <summary>
/// Checkpoint folders that are either complete or absent: a checkpoint is written into a hidden temporary sibling and
/// renamed into place (a rename within a folder is atomic), so a process killed mid-save leaves only a temporary
/// folder, which readers ignore and the next save removes. Keeps the newest N <c>step_*</c> folders of a stage.
/// </summary>
public static partial class CheckpointFolders
{
    private const string TemporaryPrefix = ".partial-";

    /// <summary>Writes a checkpoint folder atomically; <paramref name="write"/> fills the folder it is given.</summary>
    public static void Write(string folder, Action<string> write)
    {
        var full = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temporary = Path.Combine(parent, $"{TemporaryPrefix}{Path.GetFileName(full)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            write(temporary);
            if (Directory.Exists(full))
            {
                // Replacing a checkpoint (a resumed run saving the same step again): move the old one aside first.
                var old = Path.Combine(parent, $"{TemporaryPrefix}old-{Guid.NewGuid():N}");
                Directory.Move(full, old);
                Directory.Move(temporary, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temporary, full);
            }
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>The complete <c>step_N</c> checkpoints of a stage folder, oldest first.</summary>
    public static IReadOnlyList<(int Step, string Folder)> Steps(string stageFolder)
    {
        if (!Directory.Exists(stageFolder))
            return [];
        return Directory.EnumerateDirectories(stageFolder)
            .Select(d => (Match: StepFolder().Match(Path.GetFileName(d)), Folder: d))
            .Where(x => x.Match.Success)
            .Select(x => (int.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture), x.Folder))
            .OrderBy(x => x.Item1)
            .ToList();
    }

    /// <summary>Deletes all but the newest <paramref name="keepLast"/> step checkpoints, and leftover temporary folders.</summary>
    public static void Prune(string stageFolder, int keepLast)
    {
        var steps = Steps(stageFolder);
        foreach (var (_, folder) in steps.Take(Math.Max(0, steps.Count - Math.Max(keepLast, 1))))
            TryDelete(folder);
        if (Directory.Exists(stageFolder))
            foreach (var leftover in Directory.EnumerateDirectories(stageFolder, TemporaryPrefix + "*"))
                TryDelete(leftover);
    }

    private static void TryDelete(string folder)
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [GeneratedRegex(@"^step_(\d+)$")]
    private static partial Regex StepFolder();
}
