using MMAdapt.Adapters.Peft;
using MMAdapt.Adapters.Persistence;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;

namespace MMAdapt.Finetune.Running;

/// <summary>
/// Writes a checkpoint's adapters in the adapters' own formats beside the trainer's files, so they load without the
/// recipe: each LoRA or IA3 adapter as a PEFT folder <c>adapters/&lt;name&gt;/</c> (keys relative to its component, as
/// PEFT's <c>save_pretrained</c> writes them), and every other kind (mixtures, gates, Soft-MoA, ...) in
/// <c>adapters/mmadapt_config.json</c> + <c>mmadapt_modules.safetensors</c>. <c>trained.safetensors</c> stays the
/// resume source; these are the exportable view of the same tensors.
/// </summary>
public sealed class CheckpointAdapters
{
    /// <summary>The subfolder of a checkpoint that holds the adapters.</summary>
    public const string FolderName = "adapters";

    private readonly MultimodalModel model;
    private readonly IReadOnlyList<(AdapterSpec Spec, PeftConfig Config)> peft;

    private CheckpointAdapters(MultimodalModel model, IReadOnlyList<(AdapterSpec, PeftConfig)> peft)
    {
        this.model = model;
        this.peft = peft;
    }

    /// <summary>The writer for a model built from <paramref name="recipe"/>.</summary>
    public static CheckpointAdapters For(Recipe recipe, MultimodalModel model) =>
        new(model, recipe.Adapters.Select((spec, i) => (spec, AdapterBuilder.PeftConfigOf(spec, $"adapters[{i}]")))
                                  .Where(p => p.Item2 is not null).Select(p => (p.spec, p.Item2!)).ToList());

    /// <summary>Writes the adapters into <paramref name="checkpointFolder"/>/<see cref="FolderName"/> (nothing when there are none).</summary>
    public void Write(string checkpointFolder)
    {
        var folder = Path.Combine(checkpointFolder, FolderName);
        var components = model.Components;
        foreach (var (spec, config) in peft)
            PeftAdapter.Save(components.First(c => c.Component == spec.Component).Root, Path.Combine(folder, spec.Name), config, spec.Name);
        MmadaptModules.Save(components, folder);
    }
}
