using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Models.Generation;

/// <summary>
/// One forward call of a causal language model.
/// </summary>
/// <remarks>
/// Give either <see cref="InputIds"/> or <see cref="InputsEmbeds"/> (multimodal models splice encoder
/// tokens into the embeddings). With a <see cref="Cache"/>, the tokens are appended after the cached ones
/// and <see cref="AttentionMask"/>, when given, covers cached plus new tokens.
/// </remarks>
public sealed record DecoderInput
{
    /// <summary>Token ids <c>[batch, tokens]</c> (int64).</summary>
    public Tensor? InputIds { get; init; }

    /// <summary>Input embeddings <c>[batch, tokens, hidden]</c>, instead of ids.</summary>
    public Tensor? InputsEmbeds { get; init; }

    /// <summary><c>[batch, cached + tokens]</c>: 1 for real tokens, 0 for (left) padding. Null: no padding.</summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary><c>[batch, tokens]</c> positions; null derives them from the mask (padding does not count).</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>The KV cache to read and extend, or null for a full, uncached pass.</summary>
    public KvCache? Cache { get; init; }

    /// <summary>Modalities, routing keys and the aux sink for adapters.</summary>
    public ForwardContext? Context { get; init; }

    /// <summary>Compute logits only for the last N positions (generation needs 1); null: all positions.</summary>
    public int? LogitsToKeep { get; init; }
}

/// <summary>What a causal language model returns.</summary>
/// <param name="Logits"><c>[batch, kept tokens, vocab]</c>, float32.</param>
/// <param name="LastHiddenState"><c>[batch, tokens, hidden]</c> after the final norm.</param>
public sealed record DecoderOutput(Tensor Logits, Tensor LastHiddenState);
