using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MMAdapt.Finetune.Recipes.Syntax;

/// <summary>
/// Writes a <see cref="RecipeNode"/> tree as YAML with YamlDotNet's emitter: block mappings, lists of scalars in flow
/// style (<c>train: [connector:image, adapter:moe]</c>), other lists as blocks. A string that would read back as
/// something else (<c>"null"</c>, <c>"8"</c>, <c>"true"</c>, <c>"yes"</c>, empty) is double-quoted; the emitter quotes
/// what YAML's syntax requires.
/// </summary>
internal static class YamlTreeWriter
{
    private static readonly HashSet<string> Yaml11Booleans = new(StringComparer.OrdinalIgnoreCase) { "y", "n", "yes", "no", "on", "off" };

    /// <summary>Writes <paramref name="root"/> after <paramref name="header"/> (comment lines, each starting with #).</summary>
    public static string Write(RecipeNode root, string header)
    {
        var text = new StringWriter { NewLine = "\n" };
        text.Write(header);
        var emitter = new Emitter(text, bestIndent: 2, bestWidth: int.MaxValue);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        Emit(emitter, root);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void Emit(IEmitter emitter, RecipeNode node)
    {
        switch (node)
        {
            case ScalarNode scalar:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, scalar.Text, Style(scalar), true, true));
                break;
            case ListNode list:
                var flow = list.Items.All(i => i is ScalarNode);
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, flow ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in list.Items)
                    Emit(emitter, item);
                emitter.Emit(new SequenceEnd());
                break;
            case MapNode map:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, map.Entries.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var entry in map.Entries)
                {
                    Emit(emitter, ScalarNode.String(entry.Key));
                    Emit(emitter, entry.Value);
                }
                emitter.Emit(new MappingEnd());
                break;
        }
    }

    private static ScalarStyle Style(ScalarNode scalar)
    {
        if (!scalar.IsString)
            return ScalarStyle.Plain;
        var ambiguous = PlainScalar.Classify(scalar.Text) != ScalarKind.String || Yaml11Booleans.Contains(scalar.Text);
        return ambiguous ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
    }
}
