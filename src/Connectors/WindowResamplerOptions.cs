using System.Text.Json.Serialization;

namespace MMAdapt.Connectors;

/// <summary>
/// SALMONN's window-level Q-Former: the frames are cut into windows of <see cref="Window"/> frames, the resampler runs on
/// every window (all windows of the batch at once), and each window becomes <see cref="QueryResamplerOptions.Queries"/>
/// tokens (default 1, as SALMONN, and so by default no self-attention among the queries), so <c>T</c> frames give <c>ceil(T / Window) · Queries</c> tokens; the last window is
/// padded and its padding masked. SALMONN uses windows of about 0.33 s (17 Whisper frames at 50 Hz).
/// JSON: <c>{"type": "window_resampler", "window": 17, "queries": 1, "layers": 2, "heads": 8}</c>.
/// </summary>
public sealed record WindowResamplerOptions : QueryResamplerOptions
{
    /// <summary>Creates the options with one query per window and hence no self-attention (set both to have it).</summary>
    public WindowResamplerOptions() => (Queries, SelfAttention) = (1, false);

    /// <inheritdoc />
    [JsonIgnore] public override string Type => "window_resampler";

    /// <summary>Frames per window (≥ 1).</summary>
    [JsonPropertyName("window")] public int Window { get; init; } = 17;

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Window >= 1, "window", "at least 1", Window);
        base.Validate();
    }
}
