using MMAdapt.Finetune.Recipes;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>
/// A linear classifier over one component's pooled token features (audio tagging on an AST or Whisper tower, as in
/// Soft-MoA's sound-classification setup): <c>logits = pool(features) · Wᵀ + b</c>, where <c>pool</c> is the mean over
/// the valid tokens or the first (class) token. Its one parameter pair is <c>classifier.weight</c>
/// <c>[labels, width]</c> and <c>classifier.bias</c> <c>[labels]</c> (Hugging Face's name for sequence-classification
/// heads), so a model's checkpoint holds it as <c>head.classifier.*</c>.
/// </summary>
public sealed class ClassificationHead : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "classifier")]
    private readonly Linear classifier;

    /// <summary>Creates the head, initialised as <c>torch.nn.Linear</c> (uniform in ±1/√width) from <paramref name="generator"/>.</summary>
    /// <param name="component">Whose features it pools: <c>llm</c>, <c>vision</c>, <c>audio</c> or <c>connector:NAME</c>.</param>
    /// <param name="width">The component's feature width.</param>
    /// <param name="labels">The number of classes (at least 2).</param>
    /// <param name="pooling">Mean over valid tokens, or the first token.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Generator for the initial weights (null: the global one).</param>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 labels, or a width below 1.</exception>
    public ClassificationHead(string component, int width, int labels, HeadPooling pooling, ScalarType dtype = ScalarType.Float32,
        Device? device = null, Generator? generator = null) : base(nameof(ClassificationHead))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(labels, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        (Component, Width, Labels, Pooling) = (component, width, labels, pooling);
        classifier = nn.Linear(width, labels, dtype: dtype, device: device);
        double bound = 1 / Math.Sqrt(width);
        using (no_grad())
        {
            classifier.weight!.uniform_(-bound, bound, generator);
            classifier.bias!.uniform_(-bound, bound, generator);
        }
        RegisterComponents();
    }

    /// <summary>The component whose features are pooled.</summary>
    public string Component { get; }

    /// <summary>The feature width.</summary>
    public int Width { get; }

    /// <summary>The number of classes.</summary>
    public int Labels { get; }

    /// <summary>How token features become one vector.</summary>
    public HeadPooling Pooling { get; }

    /// <summary>One vector per item: the mean over valid tokens, or the first token.</summary>
    /// <param name="features"><c>[items, tokens, width]</c></param>
    /// <param name="valid"><c>[items, tokens]</c>, nonzero for real tokens (padding or trimmed frames are zero); null: all real.</param>
    /// <returns><c>[items, width]</c> in the head's dtype.</returns>
    public Tensor Pool(Tensor features, Tensor? valid)
    {
        using var scope = NewDisposeScope();
        var x = features.to(classifier.weight!.dtype);
        Tensor pooled;
        if (Pooling == HeadPooling.Cls)
            pooled = x.select(1, 0);                                                              // [items, width]
        else if (valid is null)
            pooled = x.mean([1]);
        else
        {
            var weights = valid.to(x.dtype).unsqueeze(-1);                                        // [items, tokens, 1]
            pooled = (x * weights).sum(1) / weights.sum(1).clamp_min(1);                           // [items, width]
        }
        return pooled.MoveToOuterDisposeScope();
    }

    /// <summary>Class logits of pooled features.</summary>
    /// <param name="pooled"><c>[items, width]</c></param>
    /// <returns><c>[items, labels]</c></returns>
    public override Tensor forward(Tensor pooled) => classifier.forward(pooled);
}
