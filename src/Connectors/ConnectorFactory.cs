using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MMAdapt.Adapters.Common;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// The connector types by name, and the one place that turns options into modules and JSON: <see cref="Create"/>,
/// <see cref="Parse"/>, <see cref="Write"/>.
/// </summary>
/// <remarks>
/// <para>Types: <c>linear</c> (<see cref="LinearConnectorOptions"/>), <c>mlp</c> (<see cref="MlpConnectorOptions"/>),
/// <c>resampler</c> (<see cref="ResamplerOptions"/>), <c>window_resampler</c> (<see cref="WindowResamplerOptions"/>),
/// <c>downsample</c> (<see cref="DownsampleOptions"/>), <c>moe</c> (<see cref="MoeConnectorOptions"/>).</para>
/// </remarks>
public static class ConnectorFactory
{
    internal static readonly IReadOnlyList<ConnectorType> Table =
    [
        ConnectorType.Of<LinearConnectorOptions>((o, i, u, t, d, g) => new MlpConnector(i, u, 1, AdapterActivation.Gelu, t, d, g, o)),
        ConnectorType.Of<MlpConnectorOptions>((o, i, u, t, d, g) =>
            new MlpConnector(i, u, o.Depth, Activation(o, o.Activation), t, d, g, o)),
        ConnectorType.Of<ResamplerOptions>((o, i, u, t, d, g) =>
            new ResamplerConnector(i, u, o.Queries, o.Layers, o.Heads, o.HiddenSize, o.SelfAttention, o.MlpRatio, t, d, g, o)),
        ConnectorType.Of<WindowResamplerOptions>((o, i, u, t, d, g) =>
            new WindowResamplerConnector(i, u, o.Window, o.Queries, o.Layers, o.Heads, o.HiddenSize, o.SelfAttention, o.MlpRatio, t, d, g, o)),
        ConnectorType.Of<DownsampleOptions>((o, i, u, t, d, g) => new DownsampleConnector(i, u,
            o.Mode.Equals("avg", StringComparison.OrdinalIgnoreCase) ? DownsampleMode.Average : DownsampleMode.Stack,
            o.Factor, o.Depth, Activation(o, o.Activation), t, d, g, o)),
        ConnectorType.Of<MoeConnectorOptions>((o, i, u, t, d, g) => new MoeConnector(i, u, o.Experts, o.Depth, Activation(o, o.Activation),
            o.ResolveStrategy(), o.ResolveAuxLosses(), o.Router, t, d, g, o)),
    ];

    /// <summary>The supported <c>type</c> names, in table order.</summary>
    public static IReadOnlyList<string> Types { get; } = Table.Select(r => r.Name).ToArray();

    /// <summary>Validates the options and builds the connector, its parameters initialised (seeded by
    /// <paramref name="generator"/>).</summary>
    /// <param name="options">What to build.</param>
    /// <param name="inFeatures">Encoder width.</param>
    /// <param name="outFeatures">LLM hidden size.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device (CPU when null).</param>
    /// <param name="generator">Generator for the initial weights (null: the global one).</param>
    /// <exception cref="ArgumentException">Options of an unsupported record type (the message lists the supported
    /// types), an invalid value (the message names the key), or a width that is not positive.</exception>
    public static Connector Create(ConnectorOptions options, long inFeatures, long outFeatures, ScalarType dtype = ScalarType.Float32,
        Device? device = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var row = Table.FirstOrDefault(r => r.OptionsType == options.GetType()) ?? throw new ArgumentException(
            $"connector options {options.GetType().Name} (type '{options.Type}') are not supported; supported types: {string.Join(", ", Types)}.",
            nameof(options));
        options.Validate();
        if (inFeatures < 1 || outFeatures < 1)
            throw new ArgumentException($"{options.Type} connector: widths must be positive, got in {inFeatures}, out {outFeatures}.");
        return row.Build(options, inFeatures, outFeatures, dtype, device, generator);
    }

    /// <summary>Reads connector options: <c>{"type": "mlp", "depth": 2}</c>; absent keys take their defaults.</summary>
    /// <param name="json">The connector object.</param>
    /// <param name="source">Where it came from (recipe file and key), for messages.</param>
    /// <returns>Validated options.</returns>
    /// <exception cref="InvalidDataException">A missing or unknown type (the message lists the supported ones), an
    /// unknown key (the message names the closest valid key), a value of the wrong kind or out of range (the message
    /// names the key); every message starts with <paramref name="source"/>.</exception>
    public static ConnectorOptions Parse(JsonObject json, string source) => ConnectorJson.Read(json, source);

    /// <summary>Writes options as <see cref="Parse"/> reads them: <c>type</c> first, then every option (unset optional ones left out).</summary>
    public static JsonObject Write(ConnectorOptions options) => ConnectorJson.Write(options);

    /// <summary>The options for original LLaVA's <c>mm_projector_type</c>: <c>linear</c>, or <c>mlpNx_gelu</c> (an MLP of
    /// depth N).</summary>
    /// <exception cref="ArgumentException">Another projector type (<c>identity</c>, say); the message lists the supported ones.</exception>
    public static ConnectorOptions FromLlavaProjectorType(string projectorType)
    {
        if (projectorType == "linear")
            return new LinearConnectorOptions();
        var match = Regex.Match(projectorType ?? "", @"^mlp(\d+)x_gelu$");
        if (match.Success && int.TryParse(match.Groups[1].Value, out int depth) && depth >= 1)
            return new MlpConnectorOptions { Depth = depth };
        throw new ArgumentException($"LLaVA mm_projector_type '{projectorType}' is not supported; supported: linear, mlpNx_gelu (N >= 1).",
            nameof(projectorType));
    }

    private static AdapterActivation Activation(ConnectorOptions options, string name) => AdapterActivations.Parse(name, $"{options.Type} connector");
}
