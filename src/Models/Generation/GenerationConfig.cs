using System.Text.Json.Serialization;
using MMAdapt.Core.Configuration;

namespace MMAdapt.Models.Generation;

/// <summary>
/// The parts of a Hugging Face <c>generation_config.json</c> that MMAdapt uses: stop tokens and the
/// default sampling settings.
/// </summary>
public sealed record GenerationConfig
{
    /// <summary><c>eos_token_id</c>: one id or a list; generation stops at any of them.</summary>
    [JsonPropertyName("eos_token_id"), JsonConverter(typeof(TokenIdListConverter))] public IReadOnlyList<int>? EosTokenId { get; init; }
    /// <summary><c>bos_token_id</c>.</summary>
    [JsonPropertyName("bos_token_id"), JsonConverter(typeof(TokenIdListConverter))] public IReadOnlyList<int>? BosTokenId { get; init; }
    /// <summary><c>pad_token_id</c>.</summary>
    [JsonPropertyName("pad_token_id"), JsonConverter(typeof(TokenIdListConverter))] public IReadOnlyList<int>? PadTokenId { get; init; }
    /// <summary><c>do_sample</c>.</summary>
    [JsonPropertyName("do_sample")] public bool? DoSample { get; init; }
    /// <summary><c>temperature</c>.</summary>
    [JsonPropertyName("temperature")] public double? Temperature { get; init; }
    /// <summary><c>top_p</c>.</summary>
    [JsonPropertyName("top_p")] public double? TopP { get; init; }
    /// <summary><c>max_new_tokens</c>.</summary>
    [JsonPropertyName("max_new_tokens")] public int? MaxNewTokens { get; init; }

    /// <summary>Reads <c>generation_config.json</c> from a checkpoint folder, or null when there is none.</summary>
    public static GenerationConfig? TryLoad(string folder)
    {
        var path = Path.Combine(folder, "generation_config.json");
        return File.Exists(path) ? HfConfigReader.Read<GenerationConfig>(path) : null;
    }
}
