using MMAdapt.Adapters.Targeting;
using MMAdapt.Finetune.Recipes.Syntax;

namespace MMAdapt.Finetune.Recipes.Schema;

/// <summary>PEFT's <c>target_modules</c> as <see cref="ModuleSelector"/>: a list of names, or one string (a full-match
/// regex, or <c>all-linear</c>).</summary>
internal sealed class SelectorCodec : Codec<ModuleSelector>
{
    private static readonly ListCodec<string> Names = new(ScalarCodecs.Text);

    /// <summary>The one instance.</summary>
    public static SelectorCodec Instance { get; } = new();

    /// <inheritdoc />
    public override string Expected => "a list of module names, a regex string or all-linear";

    /// <inheritdoc />
    public override Codec? Item => ScalarCodecs.Text;

    /// <inheritdoc />
    public override bool TryRead(RecipeNode node, string path, BindContext context, out ModuleSelector value)
    {
        switch (node)
        {
            case ScalarNode { IsNull: false } scalar:
                value = ModuleSelector.Regex(scalar.Text);
                return true;
            case ListNode:
                var ok = Names.TryRead(node, path, context, out var names);
                value = new ModuleSelector { Names = names };
                return ok;
            default:
                return Wrong(node, path, context, out value);
        }
    }

    /// <inheritdoc />
    public override RecipeNode Write(ModuleSelector value) =>
        value.Names is { } names ? Names.Write(names) : ScalarNode.String(value.Pattern ?? "");
}
