using System.Text;

namespace MMAdapt.Tools.NotebookTwins;

/// <summary>
/// The notebooks of one folder and their twins: what the twins should be, how the files on disk differ from that,
/// and writing them. A twin is a <c>.cs</c> file beginning with <see cref="NotebookTwin.GeneratedMarker"/>; other
/// <c>.cs</c> files in the folder are left alone.
/// </summary>
internal sealed class TwinFolder(string directory)
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>Converts every <c>*.ipynb</c> of the folder: twin file name to text, in ordinal order.</summary>
    /// <exception cref="NotebookTwinException">Some notebooks cannot be converted; the message lists each one's error.</exception>
    public IReadOnlyList<(string Twin, string Text)> ExpectedTwins()
    {
        var twins = new List<(string, string)>();
        var errors = new List<string>();
        foreach (var notebook in System.IO.Directory.GetFiles(Directory, "*.ipynb").Order(StringComparer.Ordinal))
        {
            try
            {
                twins.Add((Path.ChangeExtension(Path.GetFileName(notebook), ".cs"), NotebookTwin.Convert(File.ReadAllText(notebook), notebook, Directory)));
            }
            catch (NotebookTwinException e)
            {
                errors.Add(e.Message);
            }
        }
        if (errors.Count > 0)
            throw new NotebookTwinException(string.Join('\n', errors));
        return twins;
    }

    /// <summary>One line per twin that is missing, differs from its notebook, or has no notebook; empty when in sync.</summary>
    public IReadOnlyList<string> Differences()
    {
        var differences = new List<string>();
        foreach (var (twin, text) in ExpectedTwins())
        {
            var path = Path.Combine(Directory, twin);
            if (!File.Exists(path))
                differences.Add($"{twin}: missing");
            else if (!File.ReadAllBytes(path).AsSpan().SequenceEqual(Utf8.GetBytes(text)))
                differences.Add($"{twin}: differs from {Path.ChangeExtension(twin, ".ipynb")}");
        }
        differences.AddRange(TwinsWithoutNotebook().Select(twin => $"{twin}: no notebook {Path.ChangeExtension(twin, ".ipynb")}"));
        return differences;
    }

    /// <summary>Writes every twin that is missing or differs and deletes twins whose notebook is gone.</summary>
    /// <returns>One line per file written or deleted.</returns>
    public IReadOnlyList<string> Update()
    {
        // Convert everything before touching a file, so that one bad notebook leaves the folder as it was.
        var expected = ExpectedTwins();
        var orphans = TwinsWithoutNotebook();
        var changes = new List<string>();
        foreach (var (twin, text) in expected)
        {
            var path = Path.Combine(Directory, twin);
            var bytes = Utf8.GetBytes(text);
            if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
                continue;
            File.WriteAllBytes(path, bytes);
            changes.Add($"wrote {twin}");
        }
        foreach (var twin in orphans)
        {
            File.Delete(Path.Combine(Directory, twin));
            changes.Add($"deleted {twin} (no notebook {Path.ChangeExtension(twin, ".ipynb")})");
        }
        return changes;
    }

    private List<string> TwinsWithoutNotebook() =>
        System.IO.Directory.GetFiles(Directory, "*.cs")
            .Where(path => !File.Exists(Path.ChangeExtension(path, ".ipynb")) && IsGenerated(path))
            .Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    private static bool IsGenerated(string path)
    {
        using var reader = new StreamReader(path, Utf8);
        return reader.ReadLine()?.TrimStart('\uFEFF').StartsWith(NotebookTwin.GeneratedMarker, StringComparison.Ordinal) == true;
    }
}
