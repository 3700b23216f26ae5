using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Models.Generation;

/// <summary>A decoder-only language model that generation, training and multimodal assembly drive.</summary>
public interface ICausalLanguageModel
{
    /// <summary>Rows of the LM head.</summary>
    int VocabSize { get; }

    /// <summary>Width of the token embeddings.</summary>
    int HiddenSize { get; }

    /// <summary>Decoder layers (the KV cache has one slot per layer).</summary>
    int LayerCount { get; }

    /// <summary>The device the weights live on.</summary>
    Device Device { get; }

    /// <summary>The dtype of the weights.</summary>
    ScalarType Dtype { get; }

    /// <summary>Embeds token ids <c>[batch, tokens]</c> into <c>[batch, tokens, hidden]</c>.</summary>
    Tensor Embed(Tensor inputIds, ForwardContext? context = null);

    /// <summary>Runs the decoder.</summary>
    DecoderOutput Forward(DecoderInput input);

    /// <summary>A fresh KV cache for up to <paramref name="capacity"/> tokens.</summary>
    KvCache CreateCache(long capacity) => new(LayerCount, capacity);
}
