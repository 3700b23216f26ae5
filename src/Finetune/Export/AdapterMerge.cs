using MMAdapt.Adapters;
using MMAdapt.Adapters.Peft;
using MMAdapt.Core.IO;
using MMAdapt.Models.Llama;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Export;

/// <summary>What <see cref="AdapterMerge.Write"/> did.</summary>
/// <param name="Folder">The checkpoint folder written (full path).</param>
/// <param name="PeftType">The adapter's <c>peft_type</c>.</param>
/// <param name="MergedAdapters">How many projections had an adapter folded in.</param>
/// <param name="Dtype">The dtype of the written weights.</param>
/// <param name="CopiedFiles">The tokenizer and generation files copied from the model folder.</param>
public sealed record MergeReport(string Folder, string PeftType, int MergedAdapters, ScalarType Dtype, IReadOnlyList<string> CopiedFiles);

/// <summary>
/// Folds a PEFT adapter folder (LoRA, DoRA, rsLoRA, LoRA on embeddings, IA3) into its base checkpoint and writes a
/// complete Hugging Face folder that loads without MMAdapt's adapters or PEFT: <c>config.json</c>, safetensors, and the
/// tokenizer and generation files of the base folder. PEFT's <c>merge_and_unload()</c> followed by
/// <c>save_pretrained</c>, as one step.
/// </summary>
/// <remarks>
/// The base weights load in the output dtype and the adapter in float32; each fold sums in float32 and rounds once
/// into the weight. Nothing is written unless everything folds: the folder is built beside the output under a
/// temporary name and renamed into place at the end, so a failure leaves no output folder (and an existing one,
/// being replaced, intact).
/// </remarks>
public static class AdapterMerge
{
    /// <summary>Files copied unchanged from the base folder when present.</summary>
    public static IReadOnlyList<string> CopiedFileNames { get; } =
        ["tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"];

    /// <summary>Merges <paramref name="adapterFolder"/> into <paramref name="modelFolder"/> and writes <paramref name="outputFolder"/>.</summary>
    /// <param name="modelFolder">The base checkpoint folder.</param>
    /// <param name="adapterFolder">The PEFT adapter folder trained on that base.</param>
    /// <param name="outputFolder">Where the merged checkpoint goes.</param>
    /// <param name="dtype">Dtype of the written weights; null: the base config's <c>torch_dtype</c> (float32 when absent).</param>
    /// <param name="overwrite">Replace an existing output folder.</param>
    /// <exception cref="IOException">The output folder exists and <paramref name="overwrite"/> is false, or it is one of the inputs.</exception>
    /// <exception cref="InvalidOperationException">Some adapters cannot be folded into the weights; the message says which and why.</exception>
    public static MergeReport Write(string modelFolder, string adapterFolder, string outputFolder, ScalarType? dtype = null, bool overwrite = false)
    {
        var output = AtomicFolder.FullPath(outputFolder);
        foreach (var input in new[] { modelFolder, adapterFolder })
            if (string.Equals(AtomicFolder.FullPath(input), output, StringComparison.Ordinal))
                throw new IOException($"{output}: the output folder is an input folder; write the merged checkpoint somewhere else.");
        AtomicFolder.RefuseExisting(output, overwrite);

        var configPath = Path.Combine(modelFolder, "config.json");
        var weightDtype = dtype ?? (Directory.Exists(modelFolder) ? DtypeOf(LlamaConfig.Load(configPath).TorchDtype) : ScalarType.Float32);
        using var model = LlamaForCausalLM.FromPretrained(modelFolder, weightDtype);
        var config = PeftAdapter.Load(model, adapterFolder, dtype: ScalarType.Float32);
        int adapters = AdapterScopes.Projections(model).Count(p => p.Adapters.Count > 0);
        var unmergeable = AdapterScopes.MergeAll(model);
        if (unmergeable.Count > 0)
            throw new InvalidOperationException($"{adapterFolder}: {unmergeable.Count} of {adapters} adapted projections cannot be folded into " +
                                                $"the weights, so nothing was written: {string.Join("; ", unmergeable)}.");

        var copied = new List<string>();
        AtomicFolder.Write(output, overwrite, "merging", temp =>
        {
            model.SavePretrained(temp);
            foreach (var name in CopiedFileNames)
                if (File.Exists(Path.Combine(modelFolder, name)))
                {
                    File.Copy(Path.Combine(modelFolder, name), Path.Combine(temp, name));
                    copied.Add(name);
                }
        });
        return new MergeReport(output, config.PeftType, adapters, weightDtype, copied);
    }

    /// <summary>The dtype a config's <c>torch_dtype</c> names (float32 when absent or unknown).</summary>
    internal static ScalarType DtypeOf(string? torchDtype) => torchDtype switch
    {
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        _ => ScalarType.Float32,
    };
}
