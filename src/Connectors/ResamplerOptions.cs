using System.Text.Json.Serialization;

namespace MMAdapt.Connectors;

/// <summary>
/// A BLIP-2 Q-Former / perceiver-resampler connector: <see cref="QueryResamplerOptions.Queries"/> learned queries
/// cross-attend to all of an item's features, so every item becomes exactly that many LLM tokens whatever its length.
/// JSON: <c>{"type": "resampler", "queries": 32, "layers": 2, "heads": 8}</c> (see <see cref="QueryResamplerOptions"/>
/// for the other keys).
/// </summary>
public sealed record ResamplerOptions : QueryResamplerOptions
{
    /// <inheritdoc />
    [JsonIgnore] public override string Type => "resampler";
}
