using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MMAdapt.Core.Modules;

/// <summary>
/// The token embedding of every MMAdapt language model: a lookup table <c>[vocab, hidden]</c> with
/// attached adapters (LoRA on embeddings), keyed <c>weight</c> as in Hugging Face checkpoints.
/// </summary>
/// <remarks>Input: token ids <c>[batch, tokens]</c> (int64); output <c>[batch, tokens, hidden]</c>.</remarks>
public sealed class AdaptableEmbedding : nn.Module, IAdapterHost
{
    [ComponentName(Name = "weight")]
    private readonly Parameter weight;
    [ComponentName(Name = "adapters")]
    private readonly AdapterSet adapters;

    /// <summary>Creates the table with uninitialised storage (loading fills it).</summary>
    public AdaptableEmbedding(long vocabularySize, long hiddenSize, ScalarType? dtype = null, Device? device = null)
        : base(nameof(AdaptableEmbedding))
    {
        if (vocabularySize <= 0 || hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), $"Embedding sizes must be positive (vocab {vocabularySize}, hidden {hiddenSize}).");
        VocabularySize = vocabularySize;
        HiddenSize = hiddenSize;
        weight = new Parameter(empty(vocabularySize, hiddenSize, dtype: dtype ?? ScalarType.Float32, device: device));
        adapters = new AdapterSet(this);
        RegisterComponents();
    }

    /// <summary>Number of rows (token ids).</summary>
    public long VocabularySize { get; }

    /// <summary>Width of each row.</summary>
    public long HiddenSize { get; }

    /// <summary>The table <c>[vocab, hidden]</c>.</summary>
    public Parameter Weight => weight;

    /// <inheritdoc />
    public Parameter? Bias => null;

    /// <inheritdoc />
    public bool IsEmbedding => true;

    /// <summary>The attached adapters.</summary>
    public AdapterSet Adapters => adapters;

    /// <summary>When false, the plain lookup runs alone.</summary>
    public bool AdaptersEnabled { get; set; } = true;

    /// <summary>Normal(0, std) initialisation, as Hugging Face initialises embeddings.</summary>
    public void ResetParameters(double std = 0.02, Generator? generator = null)
    {
        using var _ = no_grad();
        weight.normal_(0, std, generator);
    }

    /// <summary>Looks up ids <c>[batch, tokens]</c> and applies enabled, unmerged adapters.</summary>
    /// <exception cref="ArgumentException">An id is outside <c>[0, vocab)</c>.</exception>
    public Tensor Forward(Tensor ids, ForwardContext? context = null)
    {
        if (ids.numel() > 0)
        {
            using var minimum = ids.min();
            using var maximum = ids.max();
            long min = minimum.item<long>(), max = maximum.item<long>();
            if (min < 0 || max >= VocabularySize)
                throw new ArgumentException($"Token id {(min < 0 ? min : max)} is outside the vocabulary [0, {VocabularySize}).");
        }
        using var flat = ids.reshape(-1);
        var output = weight.index_select(0, flat).view([.. ids.shape, HiddenSize]); // [batch, tokens, hidden]
        if (!AdaptersEnabled || adapters.Count == 0)
            return output;
        return adapters.Apply(ids, output, context);
    }

    /// <summary>Folds an adapter's delta into the table.</summary>
    public void Merge(string name) => adapters.Merge(name, weight);

    /// <summary>Subtracts a merged adapter's delta again.</summary>
    public void Unmerge(string name) => adapters.Unmerge(name, weight);
}
