namespace MMAdapt.Adapters.Routing;

/// <summary>
/// The table of routing strategies and their specs: <c>name</c> or <c>name:key=value,...</c>, e.g.
/// <c>softmax_topk:k=2,renorm=true</c>, <c>topk_softmax:k=2</c>, <c>noisy_topk:k=2</c>, <c>top_p:p=0.7,max_experts=3</c>,
/// <c>top_any</c>, <c>relu</c>, <c>expert_choice:cf=1</c> (keys <c>inference=token_choice|expert_choice</c>,
/// <c>fallback_k</c>), <c>dense</c>. <see cref="RoutingStrategy.ToSpec"/> writes specs that parse back into equal records.
/// </summary>
public static class RoutingStrategies
{
    private static readonly OptionSpec.Row<RoutingStrategy>[] Table =
    [
        new("softmax_topk", ["k", "renorm"], s => new SoftmaxTopK(s.Int("k"), s.Bool("renorm", false))),
        new("topk_softmax", ["k"], s => new TopKSoftmax(s.Int("k"))),
        new("noisy_topk", ["k"], s => new NoisyTopK(s.Int("k"))),
        new("top_p", ["p", "max_experts"], s => new TopP(s.Double("p"), s.OptionalInt("max_experts"))),
        new("top_any", [], _ => new TopAny()),
        new("relu", [], _ => new Relu()),
        new("expert_choice", ["cf", "inference", "fallback_k"], s => new ExpertChoice(s.Double("cf"))
        {
            Inference = s.Choice("inference", "token_choice", "token_choice", "expert_choice") == "token_choice"
                ? ExpertChoiceInference.TokenChoice : ExpertChoiceInference.ExpertChoice,
            FallbackK = s.OptionalInt("fallback_k"),
        }),
        new("dense", [], _ => new DenseSoft()),
    ];

    /// <summary>The supported strategy names, in table order.</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Select(r => r.Name).ToArray();

    /// <summary>Parses a strategy spec (names and keys are case-insensitive).</summary>
    /// <param name="spec">E.g. <c>softmax_topk:k=2,renorm=true</c>.</param>
    /// <exception cref="ArgumentException">An unknown name (listing the supported ones), an unknown key (listing the
    /// valid keys), or a missing or malformed value. Values are checked against an expert count later, by
    /// <see cref="RoutingStrategy.Validate"/>.</exception>
    public static RoutingStrategy Parse(string spec) => OptionSpec.Parse(spec, "routing strategy", Table);
}
