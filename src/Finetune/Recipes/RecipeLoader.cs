using System.Collections;
using System.Text.Json;
using MMAdapt.Core.IO;
using MMAdapt.Finetune.Recipes.Schema;
using MMAdapt.Finetune.Recipes.Syntax;
using YamlDotNet.Core;

namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// Reads recipes (YAML or JSON, by extension) and writes them back resolved. Values are layered as torchtune layers
/// them, the file first, then <c>MMADAPT_</c> environment variables, then command-line overrides
/// (<c>stages.0.lr=3e-4</c>), and typed by the recipe's schema; then the recipe is checked as a whole
/// (<see cref="RecipeValidator.Check"/> without file checks). Every problem found is reported at once, in one
/// <see cref="RecipeException"/>, each with its key path, file and line.
/// </summary>
public static class RecipeLoader
{
    /// <summary>The name of the resolved recipe written into the output folder.</summary>
    public const string ResolvedFileName = "recipe.resolved.yaml";

    /// <summary>Loads a recipe.</summary>
    /// <param name="path">A <c>.yaml</c>, <c>.yml</c> or <c>.json</c> file. Relative paths inside it are resolved against
    /// its folder (<c>~/</c> is the home folder).</param>
    /// <param name="overrides">torchtune-style overrides, applied last, in order: <c>key.sub=value</c> with list items
    /// by index (<c>stages.1.lr=3e-4</c>, <c>adapters.0.settings.experts=8</c>), values parsed as YAML
    /// (<c>stages.0.train=[connector:image]</c>); <c>~key</c> removes a key or list item. Relative paths in values
    /// are resolved against the current folder.</param>
    /// <param name="environment">The environment variables (null: the process's). <c>MMADAPT_SEED=5</c> sets
    /// <c>seed</c>; <c>__</c> separates keys (<c>MMADAPT_STAGES__0__LR</c>). Variables whose first key is not a recipe
    /// key (<c>MMADAPT_CACHE_DIR</c>) are left alone.</param>
    /// <returns>The recipe, every default filled in and every path absolute, with <see cref="Recipe.Source"/> set.</returns>
    /// <exception cref="RecipeException">The file is missing or malformed, or keys are unknown, values ill-typed or the
    /// recipe inconsistent; the exception lists every problem.</exception>
    public static Recipe Load(string path, IReadOnlyList<string>? overrides = null, IDictionary<string, string>? environment = null)
    {
        var file = Path.GetFullPath(path);
        var problems = new List<RecipeProblem>();
        var root = Parse(file, problems);
        RecipeLayers.ApplyEnvironment(root, environment ?? ProcessEnvironment(), problems);
        RecipeLayers.ApplyOverrides(root, overrides ?? [], problems);
        var context = new BindContext();
        RecipeSchema.Recipe.TryRead(root, "", context, out var recipe);
        problems.AddRange(context.Problems);
        recipe = recipe with { Source = new RecipeSource(file, context.Locations) };
        // A value that did not bind keeps its default; checks of that key would only repeat the first problem.
        var unreadable = problems.Select(p => p.Key).Where(k => k.Length > 0).ToList();
        problems.AddRange(RecipeValidator.Check(recipe, checkFiles: false).Where(p => !unreadable.Any(k => IsSameOrUnder(p.Key, k))));
        if (problems.Count > 0)
            throw new RecipeException(problems, file);
        return recipe;
    }

    /// <summary>Loads the resolved recipe of a run: <c>OUTPUT_DIR/recipe.resolved.yaml</c>, without environment
    /// variables or overrides.</summary>
    /// <param name="outputDir">The run's output folder.</param>
    /// <exception cref="RecipeException">The file is missing or does not load.</exception>
    public static Recipe LoadResolved(string outputDir) =>
        Load(Path.Combine(outputDir, ResolvedFileName), [], new Dictionary<string, string>());

    /// <summary>
    /// The recipe as YAML, every key written with its value (defaults included, nulls as <c>null</c>), in schema
    /// order, paths absolute (a relative path in a recipe built in code is taken against the current folder); loading
    /// the text gives an equal recipe.
    /// </summary>
    public static string ToYaml(Recipe recipe)
    {
        var header =
            $"# Resolved recipe '{recipe.Name}', written by MMAdapt: every key with its value, paths absolute.\n" +
            $"#   mmadapt train {Path.Combine(recipe.OutputDir, ResolvedFileName)}\n" +
            "# Override keys after the file as key=value, e.g. stages.0.lr=3e-4 output_dir=/tmp/other\n";
        return YamlTreeWriter.Write(RecipeSchema.Recipe.Write(recipe), header);
    }

    /// <summary>Writes <see cref="ToYaml"/> to <c>OUTPUT_DIR/recipe.resolved.yaml</c> atomically (a reader sees the old
    /// file or the whole new one), creating the folder.</summary>
    /// <exception cref="RecipeException">The recipe has no <c>output_dir</c>.</exception>
    public static void WriteResolved(Recipe recipe)
    {
        if (string.IsNullOrWhiteSpace(recipe.OutputDir))
            throw new RecipeException([new RecipeProblem("output_dir", "is required: the folder for checkpoints and logs", recipe.Source?.File, null)], recipe.Source?.File);
        AtomicFile.WriteAllText(Path.Combine(recipe.OutputDir, ResolvedFileName), ToYaml(recipe));
    }

    private static MapNode Parse(string file, List<RecipeProblem> problems)
    {
        var extension = Path.GetExtension(file).ToLowerInvariant();
        if (extension is not (".yaml" or ".yml" or ".json"))
            throw Fail(file, null, $"a recipe file ends in .yaml, .yml or .json, not '{extension}'");
        RecipeNode? root;
        try
        {
            root = extension == ".json"
                ? JsonTreeReader.Read(File.ReadAllBytes(file), file, problems)
                : YamlTreeReader.Read(File.ReadAllText(file), file, null, problems);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Fail(file, null, "recipe file not found");
        }
        catch (YamlException e)
        {
            throw Fail(file, checked((int)e.Start.Line), $"not valid YAML: {e.Message} (column {e.Start.Column})");
        }
        catch (JsonException e)
        {
            throw Fail(file, (int?)e.LineNumber + 1, $"not valid JSON: {e.Message}");
        }
        return root switch
        {
            MapNode map => map,
            null => throw Fail(file, null, "the recipe is empty"),
            _ => throw Fail(file, root.Location.Line, $"a recipe is a mapping of keys (name, model, stages, ...), not {root.Describe()}"),
        };
    }

    private static RecipeException Fail(string file, int? line, string message) =>
        new([new RecipeProblem("", message, file, line)], file);

    private static bool IsSameOrUnder(string key, string ancestor) =>
        key == ancestor || (key.StartsWith(ancestor, StringComparison.Ordinal) && key[ancestor.Length] is '.' or '[');

    private static Dictionary<string, string> ProcessEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
}
