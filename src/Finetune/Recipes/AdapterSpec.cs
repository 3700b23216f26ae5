using System.Text.Json.Nodes;
using MMAdapt.Adapters.Targeting;

namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// One entry of <c>adapters</c>: an adapter of one <see cref="Type"/>, attached to one component's projections or
/// sublayers. Its <see cref="Settings"/> are the kind's options, passed through to the layer that builds it.
/// </summary>
public sealed record AdapterSpec
{
    /// <summary>The adapter types a recipe may name.</summary>
    public static IReadOnlyList<string> Types { get; } =
        ["lora", "ia3", "lora_mixture", "bottleneck", "soft_moa", "dense_moa", "momae", "mag"];

    private readonly Structural<ModuleSelector?> targets;
    private readonly Structural<IReadOnlyList<int>?> layers;
    private readonly Structural<JsonObject> settings = ValueEquality.Json(null);

    /// <summary><c>name</c>: unique among the adapters; stages name it <c>adapter:NAME</c>. Required.</summary>
    public string Name { get; init; } = "";

    /// <summary><c>type</c>: one of <see cref="Types"/>. Required.</summary>
    public string Type { get; init; } = "";

    /// <summary><c>component</c>: where it attaches: <c>llm</c> (the default), <c>vision</c>, <c>audio</c> or
    /// <c>connector:NAME</c>.</summary>
    public string Component { get; init; } = "llm";

    /// <summary><c>targets</c>: PEFT's <c>target_modules</c>: a list of module names (suffix match), one full-match
    /// regex string, or <c>all-linear</c>; null (the default): the type's own sites (sublayers for bottleneck,
    /// Soft-MoA and MoMAE, value projections for MAG).</summary>
    public ModuleSelector? Targets { get => targets.Value; init => targets = new(value); }

    /// <summary><c>layers</c>: PEFT's <c>layers_to_transform</c>, the layer indices to adapt; null (the default): all.</summary>
    public IReadOnlyList<int>? Layers { get => layers.Value; init => layers = new(value is null ? null : ValueEquality.List(value).Value); }

    /// <summary><c>settings</c>: the type's options (<c>rank</c>, <c>experts</c>, <c>strategy</c>, ...), passed through
    /// unread (default: empty).</summary>
    public JsonObject Settings { get => settings.Value; init => settings = ValueEquality.Json(value); }
}
