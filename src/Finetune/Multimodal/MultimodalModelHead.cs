using MMAdapt.Finetune.Recipes;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Multimodal;

public sealed partial class MultimodalModel
{
    /// <summary>
    /// Creates a <see cref="ClassificationHead"/> over <paramref name="component"/>'s pooled features, as wide as that
    /// component's output and on the model's device, and attaches it: what a recipe's <c>head</c> builds (RecipeModelBuilder calls this).
    /// </summary>
    /// <param name="component">Whose features it pools: <c>audio</c>, <c>vision</c>, <c>connector:audio</c>,
    /// <c>connector:image</c> or <c>llm</c>.</param>
    /// <param name="labels">The number of classes (at least 2).</param>
    /// <param name="pooling">Mean over the valid tokens (default), or the first (class) token.</param>
    /// <param name="seed">Seed of the initial weights: the recipe seed, so a recipe with the same seed and head builds
    /// the same one.</param>
    /// <returns>The attached head (also <see cref="Head"/>); the model owns it.</returns>
    /// <exception cref="ArgumentException">The model has no such component.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 labels.</exception>
    /// <exception cref="InvalidOperationException">A head is attached already.</exception>
    public ClassificationHead AttachHead(string component, int labels, HeadPooling pooling = HeadPooling.Mean, long seed = 0)
    {
        if (Head is not null)
            throw new InvalidOperationException($"a classification head (over '{Head.Component}') is attached already; a model has one.");
        // Its own generator (the seed plus a fixed offset), so the head does not depend on what else was drawn.
        using var generator = new Generator((ulong)seed + 23);
        var head = new ClassificationHead(component, HeadFeatures.Width(this, component), labels, pooling, ScalarType.Float32,
            Llm.Device, generator);
        AttachHead(head);
        return head;
    }
}
