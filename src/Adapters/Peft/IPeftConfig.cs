using MMAdapt.Adapters.Targeting;

namespace MMAdapt.Adapters.Peft;

/// <summary>What every PEFT <c>adapter_config.json</c> MMAdapt reads and writes has in common
/// (<see cref="Lora.LoraConfig"/>, <see cref="Ia3.Ia3Config"/>).</summary>
public interface IPeftConfig
{
    /// <summary><c>peft_type</c>: LORA, IA3.</summary>
    string PeftType { get; }

    /// <summary><c>modules_to_save</c>: modules trained in full and saved beside the adapter, or null.</summary>
    IReadOnlyList<string>? ModulesToSave { get; }

    /// <summary>The projections the adapter attaches to.</summary>
    /// <exception cref="InvalidDataException">target_modules is missing.</exception>
    TargetSelection Selection();

    /// <summary>Checks the settings.</summary>
    /// <param name="source">What the config came from (a file), named in messages.</param>
    /// <exception cref="InvalidDataException">An unsupported or contradictory value; the message names the key.</exception>
    void Validate(string source);

    /// <summary>The same config with <c>inference_mode</c> true, as PEFT writes it on saving.</summary>
    IPeftConfig ForInference();
}
