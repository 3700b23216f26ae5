namespace MMAdapt.Adapters.Routing;

/// <summary>
/// The table of aux losses and their specs: <c>load_balance:coef=0.01,topk=2</c> (<c>topk</c> optional),
/// <c>z_loss:coef=0.001</c>, <c>cv2:coef=0.01</c>, <c>cv2_load:coef=0.01</c>, <c>entropy_local:coef=…</c>,
/// <c>entropy_global:coef=…</c>, <c>l1:target_sparsity=0.9</c> (optional <c>coef</c> (default 1: the adaptive λ is the
/// weight), <c>alpha</c>, <c>lambda0</c>, <c>balanced</c>). <c>coef</c> is required for every loss but <c>l1</c>, so that
/// no loss joins training with a weight nobody chose. <see cref="AuxLoss.ToSpec"/> writes specs that parse back into
/// equal records.
/// </summary>
public static class AuxLosses
{
    private static readonly OptionSpec.Row<AuxLoss>[] Table =
    [
        new("load_balance", ["coef", "topk"], s => new SwitchLoadBalance(s.OptionalInt("topk")) { Coefficient = s.Double("coef") }),
        new("z_loss", ["coef"], s => new RouterZLoss { Coefficient = s.Double("coef") }),
        new("cv2", ["coef"], s => new Cv2Importance { Coefficient = s.Double("coef") }),
        new("cv2_load", ["coef"], s => new Cv2Load { Coefficient = s.Double("coef") }),
        new("entropy_local", ["coef"], s => new EntropyLocal { Coefficient = s.Double("coef") }),
        new("entropy_global", ["coef"], s => new EntropyGlobal { Coefficient = s.Double("coef") }),
        new("l1", ["coef", "target_sparsity", "alpha", "lambda0", "balanced"], s => new ReluL1(s.Double("target_sparsity"))
        {
            Coefficient = s.Double("coef", 1.0),
            Alpha = s.Double("alpha", 1.2),
            InitialLambda = s.Double("lambda0", 1e-8),
            LoadBalanced = s.Bool("balanced", false),
        }),
    ];

    /// <summary>The supported loss names, in table order.</summary>
    public static IReadOnlyList<string> Names { get; } = Table.Select(r => r.Name).ToArray();

    /// <summary>Parses an aux-loss spec (names and keys are case-insensitive).</summary>
    /// <param name="spec">E.g. <c>load_balance:coef=0.01,topk=2</c>.</param>
    /// <exception cref="ArgumentException">An unknown name (listing the supported ones), an unknown key (listing the
    /// valid keys), or a missing or malformed value.</exception>
    public static AuxLoss Parse(string spec) => OptionSpec.Parse(spec, "aux loss", Table);
}
