using System.Text;
using System.Text.RegularExpressions;

using MMAdapt.Finetune.Training;
using MMAdapt.Finetune.Multimodal;
namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// The names a recipe gives its trainable parts, as stages name them in <c>train</c>, <c>lr_groups</c> and
/// <c>init</c>: <c>llm</c>, <c>vision</c> and <c>audio</c> (the towers present), <c>connector:NAME</c> for each
/// connector, <c>adapter:NAME</c> for each adapter, and <c>head</c> in a <c>classify</c> stage. An entry with a dot
/// (<c>llm.*.adapters.moe.*</c>) is a glob over parameter names instead, matched by the trainer.
/// </summary>
public static class RecipeComponents
{
    /// <summary>The components of <paramref name="recipe"/>, and <c>head</c> when <paramref name="stage"/> classifies.</summary>
    public static IReadOnlyList<string> Names(Recipe recipe, StageSpec? stage = null)
    {
        var names = new List<string> { "llm" };
        if (recipe.Model.Vision is not null)
            names.Add("vision");
        if (recipe.Model.Audio is not null)
            names.Add("audio");
        names.AddRange(recipe.Connectors.Keys.Select(k => $"connector:{k}"));
        names.AddRange(recipe.Adapters.Select(a => $"adapter:{a.Name}"));
        if (stage?.Objective == StageObjective.Classify)
            names.Add("head");
        return names.Distinct().ToList();
    }

    /// <summary>True for a glob over parameter names (it has a dot) rather than a component name or glob.</summary>
    public static bool IsParameterPattern(string entry) => entry.Contains('.');

    /// <summary>True when <paramref name="entry"/> has glob characters (<c>*</c>, <c>?</c>, <c>[...]</c>).</summary>
    public static bool IsGlob(string entry) => entry.AsSpan().IndexOfAny("*?[") >= 0;

    /// <summary>Whether a glob matches a whole name, as Python's <c>fnmatch</c>: <c>*</c> any run of characters
    /// (dots included), <c>?</c> one character, <c>[abc]</c> / <c>[!abc]</c> a class.</summary>
    public static bool Matches(string glob, string name) => Regex.IsMatch(name, ToRegex(glob));

    /// <summary>The components an entry names: itself when it is a component, those a component glob matches, none
    /// for a parameter glob or an unknown name.</summary>
    public static IReadOnlyList<string> Resolve(string entry, IReadOnlyList<string> components) =>
        IsParameterPattern(entry) ? [] : components.Where(c => IsGlob(entry) ? Matches(entry, c) : c == entry).ToList();

    private static string ToRegex(string glob)
    {
        var pattern = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            var close = c == '[' ? glob.IndexOf(']', i + 2) : -1;
            if (c == '*')
                pattern.Append(".*");
            else if (c == '?')
                pattern.Append('.');
            else if (close > 0)
            {
                var body = glob[(i + 1)..close];
                pattern.Append('[').Append(body.StartsWith('!') ? "^" + Regex.Escape(body[1..]) : Regex.Escape(body)).Append(']');
                i = close;
            }
            else
                pattern.Append(Regex.Escape(c.ToString()));
        }
        return pattern.Append('$').ToString();
    }
}
