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
public sealed record Ia3Config : PeftConfig
{
    /// <summary>An empty IA3 config; set target_modules (and feedforward_modules).</summary>
    public Ia3Config() : base("IA3") { }

    /// <summary><c>feedforward_modules</c>: targets whose input is scaled (<c>ia3_l</c> [1, in]); others scale their output ([out, 1]).</summary>
    [JsonPropertyName("feedforward_modules")] public ModuleSelector? FeedforwardModules { get; init; }
    /// <summary><c>init_ia3_weights</c>: true starts every vector at ones (identity); false at N(0, 1) (for tests).</summary>
    [JsonPropertyName("init_ia3_weights")] public bool InitIa3Weights { get; init; } = true;

    /// <summary>True when the module's input is scaled (PEFT: a list entry the name ends with, or a full-match regex).</summary>
    public bool IsFeedForward(string moduleName) => FeedforwardModules switch
    {
        null => false,
        { Names: { } names } => names.Any(n => moduleName.EndsWith(n, StringComparison.Ordinal)),
        { Pattern: { } pattern } => Regex.IsMatch(moduleName, $"^(?:{pattern})$"),
        _ => false,
    };

    /// <inheritdoc />
    public override void Validate(string source = "IA3 config")
    {
        if (FeedforwardModules?.Names is { } feedForward && TargetModules?.Names is { } targets)
        {
            var outside = feedForward.Where(f => !targets.Contains(f)).ToList();
            if (outside.Count > 0)
                throw new InvalidDataException($"{source}: feedforward_modules must be a subset of target_modules; " +
                                               $"not in target_modules: {string.Join(", ", outside)}.");
        }
        base.Validate(source);
    }
}
