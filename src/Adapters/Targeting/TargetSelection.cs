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

    /// <summary>Refuses the combinations PEFT's configs refuse: <c>layers_to_transform</c> or <c>layers_pattern</c>
    /// with a regex (or <c>all-linear</c>) <c>target_modules</c>, and <c>layers_pattern</c> without
    /// <c>layers_to_transform</c>.</summary>
    /// <param name="source">What the selection came from (a file), for messages.</param>
    /// <exception cref="InvalidDataException">A combination PEFT refuses; the message names the keys.</exception>
    public void Validate(string source)
    {
        if (Targets.Pattern is { } pattern && LayersToTransform is not null)
            throw new InvalidDataException($"{source}: layers_to_transform cannot be used when target_modules is a string ('{pattern}'); " +
                                           "give target_modules as a list of names, or put the layer indices into the regex.");
        if (Targets.Pattern is { } regex && LayersPattern is not null)
            throw new InvalidDataException($"{source}: layers_pattern cannot be used when target_modules is a string ('{regex}').");
        if (LayersPattern is { Count: > 0 } && LayersToTransform is null)
            throw new InvalidDataException($"{source}: layers_pattern is set but layers_to_transform is not; give both or neither.");
    }
}
