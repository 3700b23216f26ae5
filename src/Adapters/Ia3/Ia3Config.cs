using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using MMAdapt.Adapters.Peft;
using MMAdapt.Adapters.Targeting;

namespace MMAdapt.Adapters.Ia3;

/// <summary>
/// An IA3 adapter's settings in PEFT's <c>adapter_config.json</c> form (<c>IA3Config</c>): <c>target_modules</c>,
/// <c>exclude_modules</c>, <c>feedforward_modules</c> (the targets whose input, not output, is scaled), and
/// <c>modules_to_save</c>.
/// </summary>
/// <remarks>
/// IA3 (Liu et al., 2022, "Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than In-Context Learning")
/// learns one vector per target. PEFT's default for Llama is <c>target_modules: [k_proj, v_proj, down_proj]</c> with
/// <c>feedforward_modules: [down_proj]</c>; MMAdapt has no per-architecture defaults, so <c>target_modules</c> is
/// required and a missing <c>feedforward_modules</c> means none. As in PEFT, a list of feed-forward names matches
/// a module whose name ends with the entry (no dot required) and a string is a regex matched against the whole name.
/// </remarks>
public sealed record Ia3Config : IPeftConfig
{
    /// <summary><c>peft_type</c>: always IA3.</summary>
    [JsonPropertyName("peft_type")] public string PeftType { get; init; } = "IA3";
    /// <summary><c>task_type</c> (informational; CAUSAL_LM for language models).</summary>
    [JsonPropertyName("task_type")] public string? TaskType { get; init; } = "CAUSAL_LM";
    /// <summary><c>base_model_name_or_path</c> (informational).</summary>
    [JsonPropertyName("base_model_name_or_path")] public string? BaseModelNameOrPath { get; init; }
    /// <summary><c>target_modules</c>: names (dotted suffix match), a full-match regex, or all-linear.</summary>
    [JsonPropertyName("target_modules")] public ModuleSelector? TargetModules { get; init; }
    /// <summary><c>exclude_modules</c>.</summary>
    [JsonPropertyName("exclude_modules")] public ModuleSelector? ExcludeModules { get; init; }
    /// <summary><c>feedforward_modules</c>: targets whose input is scaled (<c>ia3_l</c> [1, in]); others scale their output ([out, 1]).</summary>
    [JsonPropertyName("feedforward_modules")] public ModuleSelector? FeedforwardModules { get; init; }
    /// <summary><c>modules_to_save</c>: modules trained in full beside the adapter.</summary>
    [JsonPropertyName("modules_to_save")] public IReadOnlyList<string>? ModulesToSave { get; init; }
    /// <summary><c>init_ia3_weights</c>: true starts every vector at ones (identity); false at N(0, 1) (for tests).</summary>
    [JsonPropertyName("init_ia3_weights")] public bool InitIa3Weights { get; init; } = true;
    /// <summary><c>fan_in_fan_out</c>: only false (HF Linear layout) is supported.</summary>
    [JsonPropertyName("fan_in_fan_out")] public bool FanInFanOut { get; init; }
    /// <summary><c>inference_mode</c>.</summary>
    [JsonPropertyName("inference_mode")] public bool InferenceMode { get; init; }

    /// <inheritdoc />
    public TargetSelection Selection() => new()
    {
        Targets = TargetModules ?? throw new InvalidDataException("target_modules is required (a list of module names, a regex, or \"all-linear\")."),
        Exclude = ExcludeModules,
    };

    /// <summary>True when the module's input is scaled (PEFT: a list entry the name ends with, or a full-match regex).</summary>
    public bool IsFeedForward(string moduleName) => FeedforwardModules switch
    {
        null => false,
        { Names: { } names } => names.Any(n => moduleName.EndsWith(n, StringComparison.Ordinal)),
        { Pattern: { } pattern } => Regex.IsMatch(moduleName, $"^(?:{pattern})$"),
        _ => false,
    };

    /// <inheritdoc />
    public IPeftConfig ForInference() => this with { InferenceMode = true };

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">An unsupported or contradictory value; the message names the key.</exception>
    public void Validate(string source = "IA3 config")
    {
        if (PeftType != "IA3")
            throw new InvalidDataException($"{source}: peft_type '{PeftType}' is not an IA3 adapter (expected IA3).");
        if (TargetModules is null)
            throw new InvalidDataException($"{source}: target_modules is required (a list of module names, a regex, or \"all-linear\").");
        if (FanInFanOut)
            throw new InvalidDataException($"{source}: fan_in_fan_out true (GPT-2 Conv1D layout) is not supported.");
        if (FeedforwardModules?.Names is { } feedForward && TargetModules.Names is { } targets)
        {
            var outside = feedForward.Where(f => !targets.Contains(f)).ToList();
            if (outside.Count > 0)
                throw new InvalidDataException($"{source}: feedforward_modules must be a subset of target_modules; " +
                                               $"not in target_modules: {string.Join(", ", outside)}.");
        }
        Selection().Validate(source);
    }
}
