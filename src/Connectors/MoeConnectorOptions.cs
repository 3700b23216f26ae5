using System.Text.Json.Serialization;
using MMAdapt.Adapters.Routing;

namespace MMAdapt.Connectors;

/// <summary>
/// CuMo's mixture-of-experts connector: <see cref="Experts"/> MLP experts of <see cref="MlpConnector"/>'s shape and a
/// per-token router (any <see cref="RoutingStrategy"/>; default softmax then top-2, renormalised), with aux losses added
/// to the context's sink in training. Experts can start as copies of one trained MLP connector (CuMo's upcycling,
/// <see cref="ConnectorInit.UpcycleExperts"/>) or each from its own checkpoint (ChartMoE, <see cref="ConnectorInit.ExpertsFrom"/>).
/// JSON: <c>{"type": "moe", "experts": 4, "depth": 2, "strategy": "softmax_topk:k=2,renorm=true",
/// "aux_losses": ["load_balance:coef=0.01"], "router": {"init_std": 0.02}}</c>.
/// </summary>
public sealed record MoeConnectorOptions : ConnectorOptions
{
    /// <inheritdoc />
    [JsonIgnore] public override string Type => "moe";

    /// <summary>Number of experts E (≥ 1).</summary>
    [JsonPropertyName("experts")] public int Experts { get; init; } = 4;

    /// <summary>When set, the k of a top-k <see cref="Strategy"/> (<c>softmax_topk</c>, <c>topk_softmax</c>,
    /// <c>noisy_topk</c>), replacing the spec's own; 1 ≤ top_k ≤ experts. Other strategies refuse it.</summary>
    [JsonPropertyName("top_k")] public int? TopK { get; init; }

    /// <summary>Linear layers per expert (≥ 1; 2 = <c>mlp2x_gelu</c> experts, as CuMo).</summary>
    [JsonPropertyName("depth")] public int Depth { get; init; } = 2;

    /// <summary>The activation between an expert's layers (see <see cref="MlpConnectorOptions.Activation"/>).</summary>
    [JsonPropertyName("activation")] public string Activation { get; init; } = "gelu";

    /// <summary>The routing strategy spec (<see cref="RoutingStrategies.Parse"/>; supported:
    /// <see cref="RoutingStrategies.Names"/>).</summary>
    [JsonPropertyName("strategy")] public string Strategy { get; init; } = "softmax_topk:k=2,renorm=true";

    /// <summary>Aux-loss specs (<see cref="AuxLosses.Parse"/>, e.g. <c>load_balance:coef=0.01</c>); each is added to the
    /// sink as <c>&lt;connector name&gt;/&lt;loss&gt;</c> in training. CuMo uses a load-balancing loss.</summary>
    [JsonPropertyName("aux_losses")] public IReadOnlyList<string> AuxLosses { get; init; } = [];

    /// <summary>Router temperature, jitter, float32 math and initialisation.</summary>
    [JsonPropertyName("router")] public RouterOptions Router { get; init; } = new();

    /// <summary>The strategy with <see cref="TopK"/> applied.</summary>
    /// <exception cref="ArgumentException">The spec does not parse, or top_k is set for a strategy without k; the message names the key.</exception>
    public RoutingStrategy ResolveStrategy()
    {
        RoutingStrategy strategy;
        try
        {
            strategy = RoutingStrategies.Parse(Strategy);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"moe connector: 'strategy': {Plain(e)}", "strategy", e);
        }
        return TopK is not int k ? strategy : strategy switch
        {
            SoftmaxTopK s => s with { K = k },
            TopKSoftmax s => s with { K = k },
            NoisyTopK s => s with { K = k },
            _ => throw new ArgumentException($"moe connector: 'top_k' applies to the top-k strategies (softmax_topk, topk_softmax, noisy_topk), " +
                                             $"not to '{strategy.Name}'; leave top_k out or pick one of those.", "top_k"),
        };
    }

    /// <summary>The parsed aux losses.</summary>
    /// <exception cref="ArgumentException">A spec does not parse; the message names the key.</exception>
    public IReadOnlyList<AuxLoss> ResolveAuxLosses()
    {
        try
        {
            return AuxLosses.Select(MMAdapt.Adapters.Routing.AuxLosses.Parse).ToList();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"moe connector: 'aux_losses': {Plain(e)}", "aux_losses", e);
        }
    }

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Experts >= 1, "experts", "at least 1", Experts);
        Require(TopK is null || (TopK >= 1 && TopK <= Experts), "top_k", $"between 1 and experts = {Experts}", TopK);
        Require(Depth >= 1, "depth", "at least 1", Depth);
        MlpConnectorOptions.RequireActivation(this, Activation);
        Require(Router is not null, "router", "an object", Router);
        Require(AuxLosses is not null && AuxLosses.All(l => l is not null), "aux_losses", "a list of aux-loss specs", AuxLosses);
        Catch("strategy", () => ResolveStrategy().Validate(Experts));
        var losses = ResolveAuxLosses();
        Catch("aux_losses", () => new AuxLossSet(losses, Experts).Dispose());
        Catch("router", Router!.Validate);
    }

    /// <summary>Equal when every option is equal, the aux-loss specs compared in order.</summary>
    public bool Equals(MoeConnectorOptions? other) =>
        other is not null && Experts == other.Experts && TopK == other.TopK && Depth == other.Depth && Activation == other.Activation
        && Strategy == other.Strategy && AuxLosses.SequenceEqual(other.AuxLosses) && Equals(Router, other.Router);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Experts, TopK, Depth, Activation, Strategy, AuxLosses.Count, Router);

    private static void Catch(string key, Action check)
    {
        try
        {
            check();
        }
        catch (ArgumentException e) when (!e.Message.StartsWith("moe connector:", StringComparison.Ordinal))
        {
            throw new ArgumentException($"moe connector: '{key}': {Plain(e)}", key, e);
        }
    }
}
