using System.Runtime.CompilerServices;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Recipes;

/// <summary>Recipe files for tests: the example fixture beside this file, and recipes written from text into a
/// temporary folder. Loads pass an empty environment unless a test gives one.</summary>
internal sealed class RecipeTestFiles : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private readonly TempFolder temp = new();

    /// <summary>A minimal valid recipe; tests append or replace lines.</summary>
    public const string Minimal = """
        name: tiny
        output_dir: runs/tiny
        model:
          llm: { path: checkpoints/llm }
        data:
          train: { path: data/train.jsonl }
        stages:
          - name: only
            train: [llm]
            max_steps: 10
        """;

    /// <summary>The temporary folder.</summary>
    public string Folder => temp.Path;

    /// <summary>The example recipe (every key), copied into the temporary folder.</summary>
    public string Example()
    {
        var target = Path.Combine(Folder, "example.recipe.yaml");
        File.Copy(ExampleSource(), target, overwrite: true);
        return target;
    }

    /// <summary>Writes <paramref name="text"/> to a file named <paramref name="name"/> and returns its path.</summary>
    public string Write(string text, string name = "recipe.yaml")
    {
        var path = Path.Combine(Folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Loads a recipe file with an empty environment unless one is given.</summary>
    public static Recipe Load(string path, IReadOnlyList<string>? overrides = null, IDictionary<string, string>? environment = null) =>
        RecipeLoader.Load(path, overrides ?? [], environment ?? NoEnvironment);

    /// <summary>Writes and loads a recipe.</summary>
    public Recipe LoadText(string text, params string[] overrides) => Load(Write(text), overrides);

    /// <summary>The problems loading a recipe text reports (failing when it loads).</summary>
    public IReadOnlyList<RecipeProblem> Problems(string text, params string[] overrides) =>
        Assert.Throws<RecipeException>(() => LoadText(text, overrides)).Problems;

    /// <summary>Creates the checkpoint folders (with config.json) and files the example names, so that
    /// <see cref="RecipeValidator.Check"/> with files passes.</summary>
    public void CreateExampleFiles()
    {
        foreach (var model in new[] { "tiny-llm", "tiny-clip", "tiny-whisper" })
            Write("{}", Path.Combine("checkpoints", model, "config.json"));
        Write("", Path.Combine("weights", "soft.safetensors"));
    }

    /// <summary>The one problem about <paramref name="key"/> (failing when there is none or several).</summary>
    public static RecipeProblem Single(IReadOnlyList<RecipeProblem> problems, string key) =>
        Assert.Single(problems, p => p.Key == key);

    /// <summary>The problems as (key, line, message) rows, for table-like expectations.</summary>
    public static IEnumerable<(string Key, int? Line, string Message)> Rows(IEnumerable<RecipeProblem> problems) =>
        problems.Select(p => (p.Key, p.Line, p.Message));

    public void Dispose() => temp.Dispose();

    private static string ExampleSource([CallerFilePath] string here = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(here)!, "example.recipe.yaml");
        Assert.True(File.Exists(path), $"the example recipe is read from the source tree: {path} not found");
        return path;
    }
}
