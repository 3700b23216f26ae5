using System.Text.Json.Serialization;

namespace MMAdapt.Connectors;

/// <summary>
/// What the two learned-query connectors share (<see cref="ResamplerOptions"/>, <see cref="WindowResamplerOptions"/>):
/// a stack of Q-Former / perceiver-resampler blocks at a hidden width, each pre-norm with residuals: optional
/// self-attention among the queries, cross-attention from the queries to the features, and a GELU MLP.
/// </summary>
public abstract record QueryResamplerOptions : ConnectorOptions
{
    /// <summary>Learned query tokens (≥ 1): for <see cref="ResamplerOptions"/> the output length of every item, for
    /// <see cref="WindowResamplerOptions"/> the output tokens per window.</summary>
    [JsonPropertyName("queries")] public int Queries { get; init; } = 32;

    /// <summary>Number of blocks (≥ 1).</summary>
    [JsonPropertyName("layers")] public int Layers { get; init; } = 2;

    /// <summary>Attention heads (≥ 1); must divide the hidden width.</summary>
    [JsonPropertyName("heads")] public int Heads { get; init; } = 8;

    /// <summary>The blocks' width; null (the default) uses the LLM hidden size (as Qwen-VL's resampler), a smaller value
    /// gives a BLIP-2-style narrow Q-Former with the output projection widening to the LLM.</summary>
    [JsonPropertyName("hidden_size")] public int? HiddenSize { get; init; }

    /// <summary>Self-attention among the queries before each cross-attention (Q-Former); false gives a pure
    /// cross-attention resampler. Needs at least 2 queries: a lone query attends only to itself, which leaves the
    /// attention's q_proj and k_proj without gradient.</summary>
    [JsonPropertyName("self_attention")] public bool SelfAttention { get; init; } = true;

    /// <summary>The MLP's inner width as a multiple of the hidden width (≥ 1).</summary>
    [JsonPropertyName("mlp_ratio")] public int MlpRatio { get; init; } = 4;

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Queries >= 1, "queries", "at least 1", Queries);
        Require(Layers >= 1, "layers", "at least 1", Layers);
        Require(Heads >= 1, "heads", "at least 1", Heads);
        Require(!SelfAttention || Queries >= 2, "self_attention", "false with a single query (it would attend only to itself)", SelfAttention);
        Require(HiddenSize is null or >= 1, "hidden_size", "at least 1 (or absent: the LLM hidden size)", HiddenSize);
        Require(HiddenSize is null || HiddenSize % Heads == 0, "hidden_size", $"a multiple of heads = {Heads}", HiddenSize);
        Require(MlpRatio >= 1, "mlp_ratio", "at least 1", MlpRatio);
    }
}
