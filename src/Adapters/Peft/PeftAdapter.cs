using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Training;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Configuration;
using MMAdapt.Core.IO;
using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Peft;

/// <summary>
/// Reads and writes LoRA adapters in PEFT's format: <c>adapter_config.json</c> (a <see cref="LoraConfig"/>) and
/// <c>adapter_model.safetensors</c> with keys <c>base_model.model.&lt;module path&gt;.lora_A.weight</c> (the adapter
/// name stripped; DoRA's <c>lora_magnitude_vector</c>; <c>modules_to_save</c> under their own names), so PEFT loads
/// on the bare Hugging Face model what MMAdapt writes, and the reverse.
/// </summary>
public static class PeftAdapter
{
    /// <summary>The config file name.</summary>
    public const string ConfigFile = "adapter_config.json";

    /// <summary>The weights file name.</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Reads <c>adapter_config.json</c> of a PEFT folder.</summary>
    public static LoraConfig ReadConfig(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: adapter folder not found.");
        var path = Path.Combine(folder, ConfigFile);
        var config = HfConfigReader.Read<LoraConfig>(path);
        config.Validate(path);
        return config;
    }

    /// <summary>Attaches the adapter of <paramref name="folder"/> to <paramref name="root"/> and loads its weights.</summary>
    /// <param name="root">The model the adapter was trained on (for an LLM, the causal LM whose names start with <c>model.</c>).</param>
    /// <param name="folder">The PEFT folder.</param>
    /// <param name="adapterName">The name to attach under.</param>
    /// <returns>The config read.</returns>
    /// <exception cref="CheckpointException">A tensor whose shape does not fit (named, with both shapes), or tensors for
    /// modules the model lacks (a different architecture).</exception>
    public static LoraConfig Load(nn.Module root, string folder, string adapterName = "default")
    {
        var config = ReadConfig(folder);
        var attached = LoraAttacher.Attach(root, "adapter " + folder, config, adapterName);
        try
        {
            using var checkpoint = CheckpointReader.Open(Path.Combine(folder, WeightsFile));
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

    /// <summary>Writes the adapter <paramref name="adapterName"/> of <paramref name="root"/> as a PEFT folder.</summary>
    /// <param name="root">The model the adapter is attached to.</param>
    /// <param name="folder">Output folder (created).</param>
    /// <param name="config">The config to write (its target_modules etc. describe where the adapter sits).</param>
    /// <param name="adapterName">Which adapter.</param>
    public static void Save(nn.Module root, string folder, LoraConfig config, string adapterName = "default")
    {
        config.Validate("LoRA config");
        var tensors = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in root.state_dict())
            if (PeftKeys.ToPeft(key, adapterName) is { } peftName)
                tensors[peftName] = tensor;
        if (tensors.Count == 0)
            throw new InvalidOperationException($"No adapter named '{adapterName}' is attached; nothing to save.");
        foreach (var module in config.ModulesToSave ?? [])
            foreach (var (key, tensor) in root.state_dict())
                if ((key.StartsWith(module + ".", StringComparison.Ordinal) || key.Contains("." + module + ".", StringComparison.Ordinal))
                    && !Trainability.IsAdapterParameter(key))
                    tensors[PeftKeys.Prefix + key] = tensor;
        Directory.CreateDirectory(folder);
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFile), tensors);
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), HfConfigReader.Serialize(config with { InferenceMode = true }));
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
