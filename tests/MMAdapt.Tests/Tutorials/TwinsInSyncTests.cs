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
    private const int MinimumNotebooks = 5;

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

    /// <summary>What VS Code's Polyglot Notebooks writes for a C# notebook, and what .NET Interactive (on .NET 8/9) can
    /// load: the libraries' net8.0 build, all six of them, by relative path from tutorials/.</summary>
    [Fact]
    public void Notebooks_carry_polyglot_csharp_metadata_and_load_the_net8_build()
    {
        string[] libraries = ["Core", "Models", "Encoders", "Adapters", "Connectors", "Finetune"];
        foreach (var notebook in Directory.GetFiles(RepositoryPaths.Of("tutorials"), "*.ipynb"))
        {
            var name = Path.GetFileName(notebook);
            var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(notebook))!;
            Assert.Equal(".net-csharp", (string?)root["metadata"]!["kernelspec"]!["name"]);
            Assert.Equal("csharp", (string?)root["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]);
            Assert.Equal(4, (int)root["nbformat"]!);
            var code = root["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").ToList();
            Assert.All(code, c => Assert.Equal("csharp", (string?)c!["metadata"]!["polyglot_notebook"]!["kernelName"]));
            Assert.All(code, c => Assert.Empty(c!["outputs"]!.AsArray()));     // committed without outputs
            var setup = string.Concat(code[0]!["source"]!.AsArray().Select(l => (string?)l));
            foreach (var library in libraries)
            {
                var dll = $"../src/{library}/bin/Debug/net8.0/MMAdapt.{library}.dll";
                Assert.True(setup.Contains($"#r \"{dll}\"", StringComparison.Ordinal), $"{name}: the first cell does not #r {dll}");
            }
            Assert.Contains("#r \"nuget: TorchSharp-cpu, 0.107.0\"", setup);
        }
    }
}
