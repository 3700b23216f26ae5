using System.Text.Json.Serialization;

namespace MMAdapt.Connectors;

/// <summary>
/// Qwen-Audio-style temporal downsampling before a projection: every <see cref="Factor"/> consecutive frames become one
/// token, either concatenated (<c>stack</c>: width <c>Factor · in</c>) or averaged (<c>avg</c>: width <c>in</c>, like
/// Qwen2-Audio's average pooling), then a linear (<see cref="Depth"/> 1) or LLaVA-style MLP projection to the LLM width.
/// <c>T</c> frames give <c>ceil(T / Factor)</c> tokens; the tail is padded with zero frames (<c>stack</c>) or averaged over
/// its real frames only (<c>avg</c>).
/// JSON: <c>{"type": "downsample", "mode": "stack", "factor": 2, "depth": 1, "activation": "gelu"}</c>.
/// </summary>
public sealed record DownsampleOptions : ConnectorOptions
{
    /// <summary>The modes <see cref="Mode"/> accepts.</summary>
    public static IReadOnlyList<string> Modes { get; } = ["stack", "avg"];

    /// <inheritdoc />
    [JsonIgnore] public override string Type => "downsample";

    /// <summary><c>stack</c> (concatenate the frames of a group) or <c>avg</c> (average them).</summary>
    [JsonPropertyName("mode")] public string Mode { get; init; } = "stack";

    /// <summary>Frames per output token k (≥ 1).</summary>
    [JsonPropertyName("factor")] public int Factor { get; init; } = 2;

    /// <summary>Linear layers of the projection (≥ 1; 1 = one linear, 2 = LLaVA's <c>mlp2x_gelu</c>).</summary>
    [JsonPropertyName("depth")] public int Depth { get; init; } = 1;

    /// <summary>The activation between projection layers (see <see cref="MlpConnectorOptions.Activation"/>).</summary>
    [JsonPropertyName("activation")] public string Activation { get; init; } = "gelu";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Modes.Contains(Mode?.ToLowerInvariant()), "mode", $"one of {string.Join(", ", Modes)}", Mode);
        Require(Factor >= 1, "factor", "at least 1", Factor);
        Require(Depth >= 1, "depth", "at least 1", Depth);
        MlpConnectorOptions.RequireActivation(this, Activation);
    }
}
