using System.Text.Json.Serialization;
using MMAdapt.Adapters.Common;

namespace MMAdapt.Connectors;

/// <summary>
/// LLaVA's MLP projector per token: <c>linear_1</c> (in → out), then <see cref="Depth"/> − 1 times activation and
/// <c>linear_j</c> (out → out). Depth 2 with GELU is LLaVA-1.5's <c>mlp2x_gelu</c> (Hugging Face
/// <c>LlavaMultiModalProjector</c>); depth N is <c>mlpNx_gelu</c>.
/// JSON: <c>{"type": "mlp", "depth": 2, "activation": "gelu"}</c>.
/// </summary>
public sealed record MlpConnectorOptions : ConnectorOptions
{
    /// <inheritdoc />
    [JsonIgnore] public override string Type => "mlp";

    /// <summary>Number of linear layers (≥ 1; 2 = <c>mlp2x_gelu</c>).</summary>
    [JsonPropertyName("depth")] public int Depth { get; init; } = 2;

    /// <summary>The activation between layers: <c>gelu</c> (exact, as LLaVA), <c>relu</c>, <c>silu</c> or <c>sigmoid</c>.</summary>
    [JsonPropertyName("activation")] public string Activation { get; init; } = "gelu";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Depth >= 1, "depth", "at least 1", Depth);
        RequireActivation(this, Activation);
    }

    /// <summary>Checks an activation name against <see cref="AdapterActivations.Names"/>, naming the key.</summary>
    internal static void RequireActivation(ConnectorOptions options, string? activation)
    {
        if (!AdapterActivations.Names.Contains(activation?.ToLowerInvariant()))
            throw new ArgumentException($"{options.Type} connector: 'activation' must be one of {string.Join(", ", AdapterActivations.Names)}, " +
                                        $"got '{activation}'.", "activation");
    }
}
