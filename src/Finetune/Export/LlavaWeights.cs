using MMAdapt.Finetune.Multimodal;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Export;

/// <summary>
/// The tensors of a LLaVA checkpoint in the classic llava-hf layout (transformers &lt; 4.52 saves it; later versions convert
/// it on load through <c>_checkpoint_conversion_mapping</c>, so every version reads it):
/// <c>vision_tower.vision_model.…</c>, <c>multi_modal_projector.linear_1/linear_2.…</c>, <c>language_model.model.…</c>
/// and <c>language_model.lm_head.weight</c>.
/// </summary>
/// <remarks>
/// Adapters must be merged first: adapter tensors (<c>….adapters.…</c>) are skipped. The LM head is always written,
/// even when tied to the embedding, so that loaders that do not re-tie still find it. New embedding and LM-head rows (the
/// <c>&lt;image&gt;</c> token and vocabulary padding) hold the mean of the existing rows: Hugging Face's conversion samples
/// them around that mean; the mean itself keeps the export deterministic. The tensors belong to the caller's dispose scope.
/// </remarks>
internal static class LlavaWeights
{
    public const string TowerPrefix = "vision_tower.";
    public const string ProjectorPrefix = "multi_modal_projector.";
    public const string LanguageModelPrefix = "language_model.";

    /// <summary>Every tensor to write, by checkpoint name, converted to <see cref="LlavaPlan.Dtype"/>.</summary>
    public static List<KeyValuePair<string, Tensor>> Collect(MultimodalModel model, LlavaPlan plan)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        void Add(string name, Tensor tensor) => tensors.Add(new(name, tensor.detach().to(plan.Dtype).contiguous()));

        foreach (var (key, tensor) in model.Vision!.Tower.state_dict())
            if (!IsAdapterKey(key))
                Add(TowerPrefix + key, tensor);

        var layers = plan.Projector.Layers;
        Add(ProjectorPrefix + "linear_1.weight", layers[0].Weight);
        Add(ProjectorPrefix + "linear_1.bias", layers[0].Bias!);
        if (layers.Count == 2)
        {
            Add(ProjectorPrefix + "linear_2.weight", layers[1].Weight);
            Add(ProjectorPrefix + "linear_2.bias", layers[1].Bias!);
        }
        else
        {
            // A linear connector: act is the identity, so linear_2 = I with zero bias reproduces it exactly.
            long hidden = plan.Projector.OutFeatures;
            Add(ProjectorPrefix + "linear_2.weight", eye(hidden, dtype: ScalarType.Float32));
            Add(ProjectorPrefix + "linear_2.bias", zeros(hidden, dtype: ScalarType.Float32));
        }

        foreach (var (key, tensor) in model.Llm.state_dict())
        {
            if (IsAdapterKey(key))
                continue;
            bool vocabularyRows = key is "model.embed_tokens.weight" or "lm_head.weight";
            Add(LanguageModelPrefix + key, vocabularyRows ? Grow(tensor, plan.Vocabulary) : tensor);
        }
        return tensors.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary><paramref name="table"/> <c>[vocab, hidden]</c> with rows appended up to <paramref name="rows"/>, each the mean row.</summary>
    private static Tensor Grow(Tensor table, int rows)
    {
        long existing = table.shape[0];
        if (rows == existing)
            return table;
        var wide = table.detach().to(ScalarType.Float32);
        var mean = wide.mean([0], keepdim: true);                           // [1, hidden]
        return cat([wide, mean.expand(rows - existing, -1)], 0);            // [rows, hidden]
    }

    private static bool IsAdapterKey(string key) =>
        key.StartsWith("adapters.", StringComparison.Ordinal) || key.Contains(".adapters.", StringComparison.Ordinal);
}
