using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MMAdapt.Finetune.Recipes.Syntax;

/// <summary>
/// Reads YAML into a <see cref="RecipeNode"/> tree from YamlDotNet's parser events, keeping each key's and value's
/// line. Anchors and aliases are followed (an alias is a copy); a repeated key is a problem naming both lines.
/// </summary>
internal static class YamlTreeReader
{
    /// <summary>Parses one YAML document.</summary>
    /// <param name="text">The YAML text.</param>
    /// <param name="file">The file (for locations), or null for an override's value.</param>
    /// <param name="via">For an override's value: the override, recorded as every node's <see cref="RecipeLocation.Via"/>.</param>
    /// <param name="problems">Receives repeated keys and other structural problems.</param>
    /// <returns>The root node, or null for an empty document.</returns>
    /// <exception cref="YamlException">The text is not YAML (its marks give the line).</exception>
    public static RecipeNode? Read(string text, string? file, string? via, List<RecipeProblem> problems)
    {
        var reader = new Reader(file, via, problems);
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _))
                return null;
            parser.Consume<DocumentStart>();
            var root = reader.Node(parser, "");
            parser.Consume<DocumentEnd>();
            if (parser.Current is DocumentStart second)
                problems.Add(RecipeProblem.At("", "a recipe is one YAML document; a second one starts here", reader.At(second.Start)));
            return root;
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner fails this way, without a mark, on some unclosed flow collections.
            throw new YamlException(reader.Last, reader.Last, "the YAML cannot be parsed past this line (an unclosed bracket or quote?)", e);
        }
    }

    private sealed class Reader(string? file, string? via, List<RecipeProblem> problems)
    {
        private readonly Dictionary<string, RecipeNode> anchors = [];

        /// <summary>The end of the last event read.</summary>
        public Mark Last { get; private set; } = Mark.Empty;

        public RecipeLocation At(Mark mark) => via is null ? new(file, checked((int)mark.Line)) : new(null, null, via);

        public RecipeNode Node(IParser parser, string path)
        {
            Last = parser.Current?.End ?? Last;
            var node = parser.Current switch
            {
                Scalar scalar => ReadScalar(parser, scalar),
                SequenceStart start => ReadList(parser, start, path),
                MappingStart start => ReadMap(parser, start, path),
                AnchorAlias alias => ReadAlias(parser, alias),
                var other => throw new YamlException(other!.Start, other.End, $"unexpected {other.GetType().Name}"),
            };
            return node;
        }

        private RecipeNode ReadScalar(IParser parser, Scalar scalar)
        {
            parser.MoveNext();
            var isString = scalar.Style is not ScalarStyle.Plain || (!scalar.Tag.IsEmpty && scalar.Tag.Value is "tag:yaml.org,2002:str");
            return Remember(scalar.Anchor, new ScalarNode(At(scalar.Start), scalar.Value, isString));
        }

        private RecipeNode ReadList(IParser parser, SequenceStart start, string path)
        {
            parser.MoveNext();
            var list = new ListNode(At(start.Start));
            while (!parser.TryConsume<SequenceEnd>(out _))
                list.Items.Add(Node(parser, $"{path}[{list.Items.Count}]"));
            return Remember(start.Anchor, list);
        }

        private RecipeNode ReadMap(IParser parser, MappingStart start, string path)
        {
            parser.MoveNext();
            var map = new MapNode(At(start.Start));
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyMark = parser.Current!.Start;
                var key = Node(parser, path);
                var value = Node(parser, path);
                if (key is not ScalarNode scalarKey)
                {
                    problems.Add(RecipeProblem.At(path, "a key must be a plain name, not " + key.Describe(), At(keyMark)));
                    continue;
                }
                var keyPath = RecipePath.Key(path, scalarKey.Text);
                if (map.Find(scalarKey.Text) is { } first)
                {
                    problems.Add(RecipeProblem.At(keyPath, $"key '{scalarKey.Text}' is repeated (first at line {first.KeyLocation.Line})", At(keyMark)));
                    continue;
                }
                map.Entries.Add(new MapEntry(scalarKey.Text, At(keyMark), value));
            }
            return Remember(start.Anchor, map);
        }

        private RecipeNode ReadAlias(IParser parser, AnchorAlias alias)
        {
            parser.MoveNext();
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
                throw new YamlException(alias.Start, alias.End, $"alias *{alias.Value} names no anchor");
            return target.Clone();
        }

        private RecipeNode Remember(AnchorName anchor, RecipeNode node)
        {
            if (!anchor.IsEmpty)
                anchors[anchor.Value] = node;
            return node;
        }
    }
}
