using System.Text.Json;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Configuration;
using MMAdapt.Core.IO;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Peft;

/// <summary>
/// Reads and writes adapters in PEFT's folder format: <c>adapter_config.json</c> (<see cref="Lora.LoraConfig"/> for
/// <c>peft_type</c> LORA, <see cref="Ia3.Ia3Config"/> for IA3) and <c>adapter_model.safetensors</c> with keys
/// <c>base_model.model.&lt;module path&gt;.lora_A.weight</c> (the adapter name stripped; DoRA's
/// <c>lora_magnitude_vector</c>; IA3's <c>ia3_l</c>; <c>modules_to_save</c> under their own names, e.g.
/// <c>base_model.model.lm_head.weight</c>), so PEFT loads on the bare Hugging Face model what MMAdapt writes, and the reverse.
/// </summary>
/// <remarks>Loading a <c>modules_to_save</c> entry overwrites that module's base weights (PEFT keeps the original
/// beside the copy; MMAdapt does not), so <see cref="Detach"/> and <see cref="AdapterScopes.Disable"/> do not restore it.</remarks>
public static class PeftAdapter
{
    /// <summary>The config file name.</summary>
    public const string ConfigFile = "adapter_config.json";

    /// <summary>The weights file name.</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>The <c>peft_type</c>s that can be read and written.</summary>
    public static IReadOnlyList<string> SupportedPeftTypes => PeftMethods.Names;

    /// <summary>Reads and validates <c>adapter_config.json</c> of a PEFT folder.</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="FileNotFoundException">The folder has no adapter_config.json (the message names the path).</exception>
    /// <exception cref="InvalidDataException">Bad JSON, an unsupported peft_type (the supported ones listed) or setting.</exception>
    public static PeftConfig ReadConfig(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: adapter folder not found.");
        var path = Path.Combine(folder, ConfigFile);
        string? peftType;
        using (var document = HfConfigReader.ReadDocument(path))
            peftType = document.RootElement.TryGetProperty("peft_type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
        var config = PeftMethods.Of(peftType, path).Read(path);
        config.Validate(path);
        return config;
    }

    /// <summary>Attaches the adapter of <paramref name="folder"/> to <paramref name="root"/> and loads its weights
    /// (and its <c>modules_to_save</c> tensors into the base model).</summary>
    /// <param name="root">The model the adapter was trained on (for an LLM, the causal LM whose names start with <c>model.</c>).</param>
    /// <param name="folder">The PEFT folder.</param>
    /// <param name="adapterName">The name to attach under.</param>
    /// <param name="dtype">Adapter dtype; null: float32 on half-precision hosts (as PEFT), else the host weight's.</param>
    /// <returns>The config read.</returns>
    /// <exception cref="CheckpointException">An adapter tensor the config calls for is missing from the file (its PEFT name
    /// given), a tensor's shape does not fit (named, with both shapes), or tensors for modules the model lacks.</exception>
    /// <exception cref="ArgumentException">A target module the model lacks (a different architecture).</exception>
    public static PeftConfig Load(nn.Module root, string folder, string adapterName = "default", ScalarType? dtype = null)
    {
        var config = ReadConfig(folder);
        using var checkpoint = CheckpointReader.Open(folder, Path.GetFileNameWithoutExtension(WeightsFile));
        PeftMethods.Of(config.PeftType, folder).Attach(root, "adapter " + folder, config, adapterName, dtype);
        try
        {
            var missing = root.state_dict().Keys
                .Select(key => PeftKeys.ToPeft(key, adapterName))
                .OfType<string>()
                .Where(name => !checkpoint.Contains(name))
                .ToList();
            if (missing.Count > 0)
                throw new CheckpointException(checkpoint.Path, missing[0],
                    $"missing from the adapter file, though adapter_config.json's target_modules select its module" +
                    (missing.Count > 1 ? $" ({missing.Count} missing: {string.Join(", ", missing.Take(StateDictLoader.ListedNames))})" : ""));
            StateDictLoader.Load(root, checkpoint,
                keyMap: name => PeftKeys.FromPeft(name, adapterName) ?? (name.StartsWith(PeftKeys.Prefix, StringComparison.Ordinal) ? name[PeftKeys.Prefix.Length..] : name),
                allowMissing: key => !key.Contains($".adapters.{adapterName}.", StringComparison.Ordinal));
        }
        catch
        {
            Detach(root, adapterName);
            throw;
        }
        return config;
    }

    /// <summary>Writes the adapter <paramref name="adapterName"/> of <paramref name="root"/> as a PEFT folder, with the
    /// current weights of every <c>modules_to_save</c> entry.</summary>
    /// <param name="root">The model the adapter is attached to.</param>
    /// <param name="folder">Output folder (created).</param>
    /// <param name="config">The config to write (its target_modules etc. describe where the adapter sits).</param>
    /// <param name="adapterName">Which adapter.</param>
    /// <exception cref="InvalidOperationException">No adapter of that name is attached.</exception>
    /// <exception cref="ArgumentException">A modules_to_save entry matches no module.</exception>
    public static void Save(nn.Module root, string folder, PeftConfig config, string adapterName = "default")
    {
        config.Validate($"{config.PeftType} config");
        var state = root.state_dict();
        var tensors = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in state)
            if (PeftKeys.ToPeft(key, adapterName) is { } peftName)
                tensors[peftName] = tensor;
        if (tensors.Count == 0)
            throw new InvalidOperationException($"No adapter named '{adapterName}' is attached; nothing to save.");
        foreach (var (moduleName, module) in TargetResolver.ModulesNamed(root, "modules_to_save", config.ModulesToSave ?? []))
            foreach (var (key, tensor) in module.state_dict())
                if (!Training.Trainability.IsAdapterParameter(key))
                    tensors[$"{PeftKeys.Prefix}{moduleName}.{key}"] = tensor;
        Directory.CreateDirectory(folder);
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFile), tensors);
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), HfConfigReader.Serialize<object>(config with { InferenceMode = true }));
    }

    /// <summary>Removes the adapter of that name from every projection (unmerging it first).</summary>
    public static void Detach(nn.Module root, string adapterName)
    {
        foreach (var (_, host, set) in AdapterScopes.Projections(root))
            if (set.Contains(adapterName))
            {
                set.Unmerge(adapterName, host.Weight);
                set.Remove(adapterName).Dispose();
            }
    }
}
