using TorchSharp.Modules;

namespace MMAdapt.Core.Modules;

/// <summary>The frozen layer an adapter is attached to, as adapters see it (DoRA reads the base weight,
/// IA3 its bias, embeddings' LoRA the vocabulary size).</summary>
public interface IAdapterHost
{
    /// <summary>The base weight: <c>[out, in]</c> for a linear layer, <c>[vocab, hidden]</c> for an embedding.</summary>
    Parameter Weight { get; }

    /// <summary>The base bias <c>[out]</c>, or null (always null for embeddings).</summary>
    Parameter? Bias { get; }

    /// <summary>True for an embedding table (input = token ids), false for a linear projection.</summary>
    bool IsEmbedding { get; }

    /// <summary>The adapters attached to this layer.</summary>
    AdapterSet Adapters { get; }

    /// <summary>When false, the layer runs without its unmerged adapters.</summary>
    bool AdaptersEnabled { get; set; }
}
