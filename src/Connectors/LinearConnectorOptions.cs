namespace MMAdapt.Connectors;

/// <summary>
/// One linear projection per token, <c>y = x·Wᵀ + b</c> (LLaVA v1's <c>mm_projector_type: linear</c>). Built as an
/// <see cref="MlpConnector"/> of depth 1, so its key is <c>linear_1</c> and it loads LLaVA's <c>mm_projector.weight</c>.
/// JSON: <c>{"type": "linear"}</c>.
/// </summary>
public sealed record LinearConnectorOptions : ConnectorOptions
{
    /// <inheritdoc />
    [System.Text.Json.Serialization.JsonIgnore] public override string Type => "linear";
}
