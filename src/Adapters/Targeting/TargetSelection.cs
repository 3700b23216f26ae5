namespace MMAdapt.Adapters.Targeting;

/// <summary>
/// Which projections of one component (<c>llm</c>, <c>vision</c>, <c>audio</c>) an adapter attaches to, with
/// PEFT's semantics and key names. Module names are relative to the component's root, e.g.
/// <c>model.layers.3.self_attn.q_proj</c> for the LLM.
/// </summary>
public sealed record TargetSelection
{
    /// <summary>The modules to adapt (names, a regex, or all-linear).</summary>
    public required ModuleSelector Targets { get; init; }

    /// <summary>Modules to leave out even when <see cref="Targets"/> selects them.</summary>
    public ModuleSelector? Exclude { get; init; }

    /// <summary>Only these layer indices (null: all layers).</summary>
    public IReadOnlyList<int>? LayersToTransform { get; init; }

    /// <summary>The name of the layer list in module names (null: PEFT's defaults layers, h, block, blocks, layer).</summary>
    public IReadOnlyList<string>? LayersPattern { get; init; }
}
