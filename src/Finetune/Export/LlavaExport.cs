using MMAdapt.Adapters;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.IO;
using MMAdapt.Core.Modules;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Running;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Export;

/// <summary>
/// Writes a trained image connector with its LLM and vision tower as a Hugging Face LLaVA folder that
/// <c>LlavaForConditionalGeneration</c> and <c>AutoProcessor</c> (<c>LlavaProcessor</c>) load, so Python tools and
/// servers can run the result: <c>config.json</c>, <c>model.safetensors</c> (sharded with an index when large), the
/// tokenizer with an added <c>&lt;image&gt;</c> token, the chat template, and the image-processor, processor and
/// generation configs.
/// </summary>
/// <remarks>
/// <para><b>What maps.</b> A CLIP or SigLIP tower; an <c>mlp</c> image connector of depth 2 (<c>mlp2x_gelu</c>) or a
/// <c>linear</c> one (written as <c>linear_1</c>, identity activation, <c>linear_2 = I</c>); a Llama, Mistral or Qwen2 LLM;
/// LoRA-type adapters (LoRA, DoRA, rsLoRA, LoRA on embeddings, IA3) on any of them, folded into the weights. Anything else
/// (mixtures of LoRA experts, modality gates, Soft-MoA, bottleneck adapters, other connectors) fails naming the part.
/// An audio tower fails unless <see cref="LlavaExportOptions.DropAudio"/> drops it.</para>
/// <para><b>Vocabulary.</b> HF's <c>LlavaProcessor</c> expands <c>&lt;image&gt;</c> into <c>image_seq_length</c> copies of
/// its token, whose embeddings the model replaces by projected image features. When the tokenizer lacks the token it is
/// added at <c>len(tokenizer)</c>; when that id is past the embedding, embedding and LM head grow to the next multiple of
/// <see cref="LlavaExportOptions.PadVocabularyTo"/> with mean rows (see <see cref="LlavaWeights"/>), as llava-hf's
/// conversion does. Logits of the original vocabulary are unchanged.</para>
/// <para><b>Safety.</b> Nothing is written unless every check passes; the folder is built under a temporary name and
/// renamed into place (<see cref="AtomicFolder"/>); an existing folder is replaced only when asked. Adapters merged for
/// the export of an in-memory model are unmerged again afterwards.</para>
/// </remarks>
public static class LlavaExport
{
    /// <summary>Exports the newest trained weights of a training output folder (what <c>mmadapt train</c> writes).</summary>
    /// <param name="outputDir">The training output folder (<c>recipe.resolved.yaml</c>, <c>&lt;stage&gt;/final/…</c>).</param>
    /// <param name="folder">Where the LLaVA folder goes.</param>
    /// <param name="options">Dtype, overwrite, audio and vocabulary settings (null: defaults).</param>
    /// <exception cref="IOException">The folder exists without <see cref="LlavaExportOptions.Overwrite"/>, or is the training folder.</exception>
    /// <exception cref="InvalidOperationException">Nothing trained yet, or the model does not map onto LLaVA (the message names the part).</exception>
    public static LlavaExportReport FromOutputFolder(string outputDir, string folder, LlavaExportOptions? options = null)
    {
        options ??= new LlavaExportOptions();
        var output = AtomicFolder.FullPath(folder);
        if (!TrainedModel.IsOutputFolder(outputDir))
            throw new DirectoryNotFoundException($"{outputDir}: not a training output folder (no recipe.resolved.yaml).");
        if (string.Equals(AtomicFolder.FullPath(outputDir), output, StringComparison.Ordinal))
            throw new IOException($"{output}: the LLaVA folder would replace the training output folder; write it somewhere else.");
        AtomicFolder.RefuseExisting(output, options.Overwrite);
        var (model, recipe, checkpoint) = TrainedModel.Load(outputDir);
        using (model)
        {
            if (checkpoint is null)
                throw new InvalidOperationException($"{outputDir}: no stage has saved a checkpoint yet, so there is nothing trained to export.");
            return Write(model, recipe.Model.Llm.Path, output, options) with { Checkpoint = checkpoint };
        }
    }

    /// <summary>Exports an in-memory model.</summary>
    /// <param name="model">The model; merged adapters are unmerged again afterwards, so it is left as it was.</param>
    /// <param name="llmFolder">The folder its LLM and tokenizer came from (tokenizer, template and generation files are read there).</param>
    /// <param name="folder">Where the LLaVA folder goes.</param>
    /// <param name="options">Dtype, overwrite, audio and vocabulary settings (null: defaults).</param>
    /// <exception cref="IOException">The folder exists without <see cref="LlavaExportOptions.Overwrite"/>, or is the LLM folder.</exception>
    /// <exception cref="InvalidOperationException">The model does not map onto LLaVA (the message names the part and why).</exception>
    public static LlavaExportReport Write(MultimodalModel model, string llmFolder, string folder, LlavaExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new LlavaExportOptions();
        var output = AtomicFolder.FullPath(folder);
        if (string.Equals(AtomicFolder.FullPath(llmFolder), output, StringComparison.Ordinal))
            throw new IOException($"{output}: the LLaVA folder would replace the LLM folder; write it somewhere else.");
        AtomicFolder.RefuseExisting(output, options.Overwrite);
        var plan = LlavaPlan.For(model, options);
        LlavaConfigFiles.TorchDtypeName(plan.Dtype); // an unsupported dtype fails before anything is merged

        var merged = MergeAll(model);
        try
        {
            var warnings = new List<string>(plan.Warnings);
            var files = new List<string>();
            AtomicFolder.Write(output, options.Overwrite, "exporting", temp =>
            {
                using (var scope = NewDisposeScope())
                    ShardedCheckpointWriter.Write(temp, LlavaWeights.Collect(model, plan), options.MaxShardBytes);
                LlavaConfigFiles.Write(model.Llm, plan, llmFolder, temp);
                warnings.AddRange(LlavaTokenizerFiles.Write(model.Tokenizer, model.Template, plan, llmFolder, temp));
                files.AddRange(Directory.EnumerateFiles(temp).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);
            });
            return new LlavaExportReport(output, plan.ImageTokenId, plan.Vocabulary, plan.ImageSequenceLength, plan.Dtype,
                merged.Count, null, files, warnings);
        }
        finally
        {
            for (int i = merged.Count - 1; i >= 0; i--)
                merged[i].Host.Adapters.Unmerge(merged[i].Name, merged[i].Host.Weight);
        }
    }

    /// <summary>Folds every unmerged adapter of the exported parts into its weight (all were checked mergeable).</summary>
    private static List<(IAdapterHost Host, string Name)> MergeAll(MultimodalModel model)
    {
        var merged = new List<(IAdapterHost, string)>();
        foreach (var (_, root) in LlavaPlan.ExportedComponents(model))
            foreach (var (_, host, adapters) in AdapterScopes.Projections(root))
                foreach (var (name, _) in adapters.Items)
                    if (!adapters.Merged.Contains(name))
                    {
                        adapters.Merge(name, host.Weight);
                        merged.Add((host, name));
                    }
        return merged;
    }
}
