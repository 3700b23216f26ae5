using MMAdapt.Finetune.Recipes.Syntax;
using YamlDotNet.Core;

namespace MMAdapt.Finetune.Recipes.Schema;

/// <summary>
/// The layers over the file: environment variables (<c>MMADAPT_SEED=5</c>, <c>MMADAPT_STAGES__0__LR=3e-4</c>: the
/// prefix dropped, <c>__</c> between keys, lower-cased), then overrides in torchtune's dotlist form
/// (<c>stages.0.lr=3e-4</c>, list items by index; <c>~key</c> removes a key or list item). Each key is checked
/// against the schema before it is applied, so an unknown one is reported naming the closest valid key; values are
/// parsed as YAML (<c>train=[connector:image]</c>, <c>max_steps=null</c>) and typed later, by the schema, like the
/// file's.
/// </summary>
internal static class RecipeLayers
{
    /// <summary>The prefix of the environment variables that set recipe keys.</summary>
    public const string EnvironmentPrefix = "MMADAPT_";

    /// <summary>
    /// Applies the <c>MMADAPT_</c> variables whose first key is a top-level recipe key; others
    /// (<c>MMADAPT_CACHE_DIR</c>, <c>MMADAPT_FFMPEG</c>) belong to other parts of MMAdapt and are left alone.
    /// </summary>
    public static void ApplyEnvironment(MapNode root, IEnumerable<KeyValuePair<string, string>> environment, List<RecipeProblem> problems)
    {
        foreach (var (name, text) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                continue;
            var segments = name[EnvironmentPrefix.Length..].ToLowerInvariant().Split("__");
            if (RecipeSchema.Recipe.Field(segments[0]) is null)
                continue;
            var via = new RecipeLocation(null, null, $"environment variable {name}");
            Set(root, segments, ParseValue(text, via), via, problems);
        }
    }

    /// <summary>Applies overrides in order (a later one wins).</summary>
    public static void ApplyOverrides(MapNode root, IEnumerable<string> overrides, List<RecipeProblem> problems)
    {
        foreach (var item in overrides)
        {
            var via = new RecipeLocation(null, null, $"override '{item}'");
            var remove = item.StartsWith('~');
            var equals = item.IndexOf('=');
            var wellFormed = remove ? item.Length > 1 && equals < 0 : equals > 0;
            if (!wellFormed)
            {
                problems.Add(RecipeProblem.At("", "an override is key=value (stages.0.lr=3e-4) or ~key to remove one", via));
                continue;
            }
            var key = remove ? item[1..] : item[..equals];
            Set(root, key.Split('.'), remove ? null : ParseValue(item[(equals + 1)..], via), via, problems);
        }
    }

    private static RecipeNode ParseValue(string text, RecipeLocation via)
    {
        try
        {
            var scratch = new List<RecipeProblem>();
            var node = YamlTreeReader.Read(text, null, via.Via, scratch);
            if (scratch.Count == 0)
                return node ?? new ScalarNode(via, "", isString: false);
        }
        catch (YamlException)
        {
        }
        return new ScalarNode(via, text, isString: true);   // not YAML (say '@x'): the text itself
    }

    // Walks the tree and the schema together, creating mappings on the way; value null removes the key.
    private static void Set(MapNode root, string[] segments, RecipeNode? value, RecipeLocation via, List<RecipeProblem> problems)
    {
        Codec codec = RecipeSchema.Recipe;
        RecipeNode node = root;
        Action<RecipeNode> replace = _ => { };
        var path = "";
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            if (codec.Item is { } item && (codec.Value is null || node is ListNode))
            {
                var list = node as ListNode;
                var count = list?.Items.Count ?? 0;
                // An item by index, or by its name (stages.tune.lr), as torchtune-style overrides name things.
                if (!int.TryParse(segment, System.Globalization.NumberStyles.None, null, out var index))
                    index = list?.Items.FindIndex(n => n is MapNode m && m.Find("name")?.Value is ScalarNode { Text: var name } && name == segment) ?? -1;
                if (index < 0 || index >= count)
                {
                    var names = list?.Items.Select(n => (n as MapNode)?.Find("name")?.Value).OfType<ScalarNode>().Select(n => n.Text).ToList() ?? [];
                    var what = count == 0 ? "it is empty" : $"indices 0 to {count - 1}" + (names.Count > 0 ? $" or names {string.Join(", ", names)}" : "");
                    problems.Add(RecipeProblem.At(RecipePath.Key(path, segment), $"'{segment}' is not an item of the list {Display(path)} ({what})", via));
                    return;
                }
                path = RecipePath.Index(path, index);
                if (last)
                {
                    if (value is null)
                        list!.Items.RemoveAt(index);
                    else
                        list!.Items[index] = value;
                    return;
                }
                (codec, node) = (item, list!.Items[index]);
                replace = n => list.Items[index] = n;
                continue;
            }
            var child = codec.Value ?? codec.Field(segment);
            if (child is null)
            {
                var message = codec.Keys.Count > 0
                    ? $"unknown key '{segment}'{ClosestName.Hint(segment, codec.Keys)}"
                    : $"{Display(path)} is {codec.Expected}; it has no key '{segment}'";
                problems.Add(RecipeProblem.At(RecipePath.Key(path, segment), message, via));
                return;
            }
            if (node is not MapNode map)
            {
                map = new MapNode(via);
                replace(map);
            }
            path = RecipePath.Key(path, segment);
            var entry = map.Find(segment);
            if (last)
            {
                if (value is null)
                    map.Entries.RemoveAll(e => e.Key == segment);
                else if (entry is null)
                    map.Entries.Add(new MapEntry(segment, via, value));
                else
                    (entry.KeyLocation, entry.Value) = (via, value);
                return;
            }
            if (entry is null)
                map.Entries.Add(entry = new MapEntry(segment, via, new ScalarNode(via, "", isString: false)));
            (codec, node) = (child, entry.Value);
            replace = n => entry.Value = n;
        }
    }

    private static string Display(string path) => path.Length == 0 ? "the recipe" : $"'{path}'";
}
