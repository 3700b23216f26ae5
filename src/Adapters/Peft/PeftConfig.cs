using System.Text.Json.Serialization;
using MMAdapt.Adapters.Targeting;

namespace MMAdapt.Adapters.Peft;

/// <summary>
/// What every PEFT <c>adapter_config.json</c> MMAdapt reads and writes has in common (PEFT's <c>PeftConfig</c> plus the
/// targeting keys its methods share): <c>peft_type</c>, <c>task_type</c>, <c>target_modules</c>, <c>exclude_modules</c>,
/// <c>modules_to_save</c>, ... Methods derive from it: <see cref="Lora.LoraConfig"/> (LORA), <see cref="Ia3.Ia3Config"/> (IA3).
/// </summary>
public abstract record PeftConfig
{
    private readonly string method;

    /// <summary>Creates a config of one method.</summary>
    /// <param name="peftType">The method's <c>peft_type</c> (LORA, IA3).</param>
    protected PeftConfig(string peftType)
    {
        method = peftType;
        PeftType = peftType;
    }

    /// <summary><c>peft_type</c>: the method (LORA, IA3); a file's value must match the config type read.</summary>
    [JsonPropertyName("peft_type")] public string PeftType { get; init; }
    /// <summary><c>task_type</c> (informational; CAUSAL_LM for language models).</summary>
    [JsonPropertyName("task_type")] public string? TaskType { get; init; } = "CAUSAL_LM";
    /// <summary><c>base_model_name_or_path</c> (informational).</summary>
    [JsonPropertyName("base_model_name_or_path")] public string? BaseModelNameOrPath { get; init; }
    /// <summary><c>target_modules</c>: names (a module whose name equals one or ends with <c>.name</c>), one full-match
    /// regex, or <c>all-linear</c> (every linear projection but the output layer). Required.</summary>
    [JsonPropertyName("target_modules")] public ModuleSelector? TargetModules { get; init; }
    /// <summary><c>exclude_modules</c>: left out even when targeted (names or a regex, as target_modules).</summary>
    [JsonPropertyName("exclude_modules")] public ModuleSelector? ExcludeModules { get; init; }
    /// <summary><c>modules_to_save</c>: modules trained in full and saved beside the adapter
    /// (as <c>base_model.model.&lt;module&gt;.weight</c>).</summary>
    [JsonPropertyName("modules_to_save")] public IReadOnlyList<string>? ModulesToSave { get; init; }
    /// <summary><c>fan_in_fan_out</c>: only false (the Hugging Face Linear layout) is supported.</summary>
    [JsonPropertyName("fan_in_fan_out")] public bool FanInFanOut { get; init; }
    /// <summary><c>inference_mode</c>: true in saved files.</summary>
    [JsonPropertyName("inference_mode")] public bool InferenceMode { get; init; }

    /// <summary>The projections the adapter attaches to.</summary>
    /// <exception cref="InvalidDataException">target_modules is missing.</exception>
    public virtual TargetSelection Selection() => new()
    {
        Targets = TargetModules ?? throw new InvalidDataException("target_modules is required (a list of module names, a regex, or \"all-linear\")."),
        Exclude = ExcludeModules,
    };

    /// <summary>Checks the settings; derived configs check theirs first, then call this.</summary>
    /// <param name="source">What the config came from (a file, a recipe key), named in messages.</param>
    /// <exception cref="InvalidDataException">An unsupported or contradictory value; the message names the key.</exception>
    public virtual void Validate(string source)
    {
        if (PeftType != method)
            throw new InvalidDataException($"{source}: peft_type '{PeftType}' does not fit a {GetType().Name} (expected {method}).");
        if (TargetModules is null)
            throw new InvalidDataException($"{source}: target_modules is required (a list of module names, a regex, or \"all-linear\").");
        if (FanInFanOut)
            throw new InvalidDataException($"{source}: fan_in_fan_out true (GPT-2 Conv1D layout) is not supported.");
        Selection().Validate(source);
    }
}
