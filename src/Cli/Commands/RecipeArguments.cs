using System.Collections;
using System.CommandLine;
using MMAdapt.Finetune.Recipes;

namespace MMAdapt.Cli.Commands;

/// <summary>The recipe path and <c>key.sub=value</c> overrides shared by <c>train</c>, <c>validate</c> and <c>eval</c>.</summary>
internal static class RecipeArguments
{
    public static Argument<string> Recipe() => new("RECIPE") { Description = "A recipe file (YAML or JSON), or a built-in recipe name (see 'mmadapt ls')." };

    public static Argument<string[]> Overrides() => new("OVERRIDES")
    {
        Description = "key.sub=value overrides (torchtune style), e.g. output_dir=/tmp/run stages.0.lr=3e-4.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>Loads a recipe file (or a built-in recipe by name) with overrides and MMADAPT_* environment variables.</summary>
    public static Recipe Load(string pathOrName, IReadOnlyList<string> overrides)
    {
        var path = File.Exists(pathOrName) ? pathOrName : BuiltInRecipes.Find(pathOrName) ?? pathOrName;
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        return RecipeLoader.Load(path, overrides, environment);
    }
}
