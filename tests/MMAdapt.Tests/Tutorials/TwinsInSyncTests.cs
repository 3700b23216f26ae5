using System.Text;
using MMAdapt.Tests.TestSupport;
using MMAdapt.Tools.NotebookTwins;
using Xunit;

namespace MMAdapt.Tests.Tutorials;

/// <summary>Every tutorial notebook has its checked-in file-based twin, exactly as the converter writes it, and
/// every twin its notebook (tutorials/README.md refers to this test by name).</summary>
public class TwinsInSyncTests
{
    // Raise as tutorials land, so that a lost or renamed folder cannot pass by finding nothing.
    private const int MinimumNotebooks = 0;

    [Fact]
    public void TwinsAreInSyncWithNotebooks()
    {
        var tutorials = RepositoryPaths.Of("tutorials");
        var notebooks = Directory.GetFiles(tutorials, "*.ipynb").Order(StringComparer.Ordinal).ToArray();
        Assert.True(notebooks.Length >= MinimumNotebooks, $"expected at least {MinimumNotebooks} notebooks in {tutorials}, found {notebooks.Length}");

        var problems = new List<string>();
        foreach (var notebook in notebooks)
        {
            var twin = Path.ChangeExtension(notebook, ".cs");
            var expected = Encoding.UTF8.GetBytes(NotebookTwin.Convert(File.ReadAllText(notebook), notebook));
            if (!File.Exists(twin))
                problems.Add($"{Path.GetFileName(twin)} is missing");
            else if (!File.ReadAllBytes(twin).AsSpan().SequenceEqual(expected))
                problems.Add($"{Path.GetFileName(twin)} differs from {Path.GetFileName(notebook)}");
        }
        // A twin is a .cs file with the generated header; other .cs files here (scratch files) are not checked.
        problems.AddRange(Directory.GetFiles(tutorials, "*.cs")
            .Where(twin => File.ReadLines(twin).FirstOrDefault()?.StartsWith(NotebookTwin.GeneratedMarker, StringComparison.Ordinal) == true)
            .Where(twin => !File.Exists(Path.ChangeExtension(twin, ".ipynb")))
            .Select(twin => $"{Path.GetFileName(twin)} has no notebook"));
        Assert.True(problems.Count == 0,
            $"{string.Join("; ", problems)}: regenerate the twins with: dotnet run --project tools/NotebookTwins");
    }
}
