using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MMAdapt.Core.Modules;

/// <summary>
/// The one linear projection type of every MMAdapt model: a frozen-able <c>y = x·Wᵀ + b</c> with a list
/// of attached <see cref="ProjectionAdapter"/>s. Attaching an adapter is adding it to
/// <see cref="Adapters"/>; merging folds an adapter's weight delta into <see cref="Weight"/>.
/// </summary>
/// <remarks>
/// Shapes: input <c>[..., in]</c>, weight <c>[out, in]</c>, bias <c>[out]</c>, output <c>[..., out]</c>.
/// State-dict keys are <c>weight</c> and <c>bias</c> exactly as in Hugging Face checkpoints (PEFT wraps the
/// layer and renames it <c>base_layer.weight</c>; MMAdapt does not, so frozen checkpoints load unchanged),
/// plus <c>adapters.&lt;name&gt;.*</c> for attached adapters.
/// </remarks>
public sealed class AdaptableLinear : nn.Module, IAdapterHost
{
    [ComponentName(Name = "weight")]
    private readonly Parameter weight;
    [ComponentName(Name = "bias")]
    private readonly Parameter? bias;
    [ComponentName(Name = "adapters")]
    private readonly AdapterSet adapters;

    /// <summary>Creates the projection with uninitialised storage (loading fills it; see <see cref="ResetParameters"/>).</summary>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="hasBias">Whether the projection has a bias.</param>
    /// <param name="dtype">Parameter dtype (float32 when null).</param>
    /// <param name="device">Parameter device (CPU when null).</param>
    public AdaptableLinear(long inFeatures, long outFeatures, bool hasBias = false, ScalarType? dtype = null, Device? device = null)
        : base(nameof(AdaptableLinear))
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear sizes must be positive (in {inFeatures}, out {outFeatures}).");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        weight = new Parameter(empty(outFeatures, inFeatures, dtype: dtype ?? ScalarType.Float32, device: device));
        bias = hasBias ? new Parameter(empty(outFeatures, dtype: dtype ?? ScalarType.Float32, device: device)) : null;
        adapters = new AdapterSet(this);
        RegisterComponents();
    }

    /// <summary>Creates a projection that shares an existing weight (tied embeddings / LM head).</summary>
    public AdaptableLinear(Parameter sharedWeight) : base(nameof(AdaptableLinear))
    {
        weight = sharedWeight;
        OutFeatures = sharedWeight.shape[0];
        InFeatures = sharedWeight.shape[1];
        adapters = new AdapterSet(this);
        RegisterComponents();
    }

    /// <summary>Input width.</summary>
    public long InFeatures { get; }

    /// <summary>Output width.</summary>
    public long OutFeatures { get; }

    /// <summary>The base weight <c>[out, in]</c>.</summary>
    public Parameter Weight => weight;

    /// <summary>The base bias <c>[out]</c>, or null.</summary>
    public Parameter? Bias => bias;

    /// <inheritdoc />
    public bool IsEmbedding => false;

    /// <summary>The attached adapters.</summary>
    public AdapterSet Adapters => adapters;

    /// <summary>When false, the base projection runs alone (unmerged adapters are skipped).</summary>
    public bool AdaptersEnabled { get; set; } = true;

    /// <summary>Kaiming-uniform weight and uniform bias, as <c>torch.nn.Linear</c> initialises them.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        using var _ = no_grad();
        double bound = 1.0 / Math.Sqrt(InFeatures);
        weight.uniform_(-bound, bound, generator);
        bias?.uniform_(-bound, bound, generator);
    }

    /// <summary>Applies the projection and its enabled, unmerged adapters.</summary>
    /// <param name="input"><c>[..., in]</c></param>
    /// <param name="context">The forward context handed to adapters.</param>
    /// <returns><c>[..., out]</c></returns>
    public Tensor Forward(Tensor input, ForwardContext? context = null)
    {
        var output = nn.functional.linear(input, weight, bias);
        if (!AdaptersEnabled || adapters.Count == 0)
            return output;
        return adapters.Apply(input, output, context);
    }

    /// <summary>Folds an adapter's weight delta into the base weight; its forward is then skipped.</summary>
    public void Merge(string name) => adapters.Merge(name, weight);

    /// <summary>Subtracts a merged adapter's delta again (exact up to floating-point rounding).</summary>
    public void Unmerge(string name) => adapters.Unmerge(name, weight);
}
