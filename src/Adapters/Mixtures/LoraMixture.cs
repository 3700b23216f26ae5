using MMAdapt.Adapters.Routing;
using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Mixtures;

/// <summary>How a mixture computes its experts.</summary>
public enum MixtureComputation
{
    /// <summary>Batched: a gate matrix and two matmuls over the concatenated experts, with the router's logits taken
    /// from the same matmul as the experts' down-projections when the router reads the token itself.</summary>
    Fused,
    /// <summary>The reference: per expert, <c>index_select</c> of its tokens, A then B, gate, <c>index_add</c>.
    /// Slow (a host sync and small matmuls per expert); kept for tests and the benchmark.</summary>
    Loop,
}

/// <summary>
/// A mixture of LoRA experts on one projection (<see cref="MixtureOptions"/>): <c>y = W x + s · Σ_e g_e B_e A_e x</c>.
/// </summary>
/// <remarks>
/// <para>Batched as DESIGN.md describes: with <c>A_cat</c> = the experts' A stacked <c>[E·r, in]</c> and
/// <c>B_cat</c> = their B side by side <c>[out, E·r]</c>, the experts' contribution is
/// <c>((x·A_catᵀ) ⊙ expand(G))·B_catᵀ</c> whatever E is; when the router reads the token, its weight is stacked under
/// <c>A_cat</c> so one matmul gives both the down-projections and the router logits.</para>
/// <para>Keys: <c>lora_A</c> [E, r, in], <c>lora_B</c> [out, E, r] (so both flatten to the concatenated layout
/// without copies), <c>shared_A</c>/<c>shared_B</c>, <c>universal_A</c>/<c>universal_B</c>, <c>ia3_vectors</c>
/// [E, out] (MoV), <c>router.*</c>, <c>cluster_logits</c> [clusters, E'] (MoCLE).</para>
/// <para>Aux losses go to the forward context's sink (in training) under <c>&lt;LayerName&gt;/&lt;loss&gt;</c>;
/// routing statistics to <see cref="Statistics"/> when set, without a host sync.</para>
/// </remarks>
public sealed class LoraMixture : ProjectionAdapter
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter? lora_A, lora_B;
    private readonly Parameter? shared_A, shared_B;
    private readonly Parameter? universal_A, universal_B;
    private readonly Parameter? ia3_vectors;
    private readonly TokenRouter? router;
    private readonly Parameter? cluster_logits;
#pragma warning restore IDE1006
    private readonly Dropout? dropout;
    private readonly AuxLossSet? auxLosses;
    private readonly long[]? expertGroups; // modality of each expert (MoMa); a plain array so it is no buffer

    /// <summary>Creates the mixture for a projection of the given widths.</summary>
    /// <param name="inFeatures">Host input width.</param>
    /// <param name="outFeatures">Host output width.</param>
    /// <param name="options">The mixture settings (validated here).</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for reproducible initialisation.</param>
    public LoraMixture(long inFeatures, long outFeatures, MixtureOptions options, ScalarType dtype = ScalarType.Float32,
        Device? device = null, Generator? generator = null) : base(nameof(LoraMixture))
    {
        options.Validate();
        Options = options;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        int e = options.Experts, r = options.Rank;
        double bound = 1 / Math.Sqrt(inFeatures); // kaiming_uniform(a=√5), as LoRA's A
        using (no_grad())
        {
            if (options.Kind == ExpertKind.Lora)
            {
                lora_A = new Parameter(empty(e, r, inFeatures, dtype: dtype, device: device).uniform_(-bound, bound, generator));
                lora_B = new Parameter(zeros(outFeatures, e, r, dtype: dtype, device: device));
                if (options.SharedExperts > 0)
                {
                    shared_A = new Parameter(empty(options.SharedExperts, r, inFeatures, dtype: dtype, device: device).uniform_(-bound, bound, generator));
                    shared_B = new Parameter(zeros(outFeatures, options.SharedExperts, r, dtype: dtype, device: device));
                }
                if (options.UniversalWeight is not null)
                {
                    universal_A = new Parameter(empty(r, inFeatures, dtype: dtype, device: device).uniform_(-bound, bound, generator));
                    universal_B = new Parameter(zeros(outFeatures, r, dtype: dtype, device: device));
                }
            }
            else
            {
                ia3_vectors = new Parameter(ones(e, outFeatures, dtype: dtype, device: device));
            }
        }
        switch (options.Input)
        {
            case RouterInput.Token:
                router = new TokenRouter(inFeatures, options.RouterOutputs, options.Strategy, options.Router, dtype, device, generator);
                break;
            case RouterInput.SampleKey key:
                router = new TokenRouter(key.Width, options.RouterOutputs, options.Strategy, options.Router, dtype, device, generator);
                break;
            case RouterInput.ClusterId cluster:
                if (options.Strategy.UsesThresholds || options.Strategy.UsesNoiseStd)
                    throw new ArgumentException($"cluster-id routing uses a table of logits; strategy {options.Strategy.Name} needs a router projection.");
                using (no_grad())
                    cluster_logits = new Parameter(empty(cluster.Clusters, options.RouterOutputs, dtype: ScalarType.Float32, device: device)
                        .normal_(0, options.Router.InitStd, generator));
                break;
        }
        if (options.Dropout > 0)
            dropout = nn.Dropout(options.Dropout);
        if (options.AuxLosses.Count > 0)
            auxLosses = new AuxLossSet(options.AuxLosses, options.RouterOutputs);
        if (options.ModalityGroups is { } groups)
            expertGroups = groups.SelectMany(g => Enumerable.Repeat((long)g.Modality, g.Experts)).ToArray();
        RegisterComponents();
    }

    /// <summary>The settings.</summary>
    public MixtureOptions Options { get; }

    /// <summary>Host input width.</summary>
    public long InFeatures { get; }

    /// <summary>Host output width.</summary>
    public long OutFeatures { get; }

    /// <summary>Fused (default) or the loop reference.</summary>
    public MixtureComputation Computation { get; set; } = MixtureComputation.Fused;

    /// <summary>The name used for aux losses and statistics (the host's module path, set by the attacher).</summary>
    public string LayerName { get; set; } = "mixture";

    /// <summary>Where routing statistics are recorded, or null.</summary>
    public RoutingStatistics? Statistics { get; set; }

    /// <summary>The router (null for cluster-id routing).</summary>
    public TokenRouter? Router => router;

    /// <summary>The most recent routing decision (kept only when <see cref="KeepLastDecision"/>; for inspection and tests).</summary>
    public RouterDecision? LastDecision { get; private set; }

    /// <summary>Keep <see cref="LastDecision"/> (its tensors are detached copies).</summary>
    public bool KeepLastDecision { get; set; }

    /// <summary>
    /// Starts every routed expert as one trained dense LoRA (sparse upcycling): each expert's A is <paramref name="a"/>
    /// (plus Gaussian noise of <paramref name="noiseStd"/>, so experts can part ways) and its B is <paramref name="b"/>
    /// rescaled by <paramref name="sourceScale"/> / this mixture's scale, so each expert alone reproduces the LoRA.
    /// Shared and universal experts keep their zero B. When the router's gates sum to one, the mixture then adds
    /// exactly what the LoRA added.
    /// </summary>
    /// <param name="a">The LoRA's down-projection <c>[rank, in]</c>.</param>
    /// <param name="b">The LoRA's up-projection <c>[out, rank]</c>.</param>
    /// <param name="sourceScale">The LoRA's scale (alpha / r).</param>
    /// <param name="noiseStd">Noise on each expert's A (0: identical experts).</param>
    /// <param name="generator">The noise's generator.</param>
    /// <exception cref="ArgumentException">The mixture's experts are not LoRA experts, or the shapes differ (named).</exception>
    public void UpcycleExperts(Tensor a, Tensor b, double sourceScale, double noiseStd = 0, Generator? generator = null)
    {
        if (lora_A is null || lora_B is null)
            throw new ArgumentException($"{LayerName}: only a mixture of LoRA experts can be upcycled from a LoRA (this one has {Options.Kind} experts).");
        int e = Options.Experts, r = Options.Rank;
        if (a.shape.Length != 2 || a.shape[0] != r || a.shape[1] != InFeatures || b.shape.Length != 2 || b.shape[0] != OutFeatures || b.shape[1] != r)
            throw new ArgumentException($"{LayerName}: the LoRA's A [{string.Join(", ", a.shape)}] and B [{string.Join(", ", b.shape)}] do not fit " +
                                        $"experts of rank {r} on [{OutFeatures}, {InFeatures}] (A [{r}, {InFeatures}], B [{OutFeatures}, {r}]).");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var down = a.to(lora_A.dtype).unsqueeze(0).expand(e, r, InFeatures);                           // [E, r, in]
        if (noiseStd > 0)
            down = down + randn(e, r, InFeatures, dtype: lora_A.dtype, device: lora_A.device, generator: generator) * noiseStd;
        lora_A.copy_(down);
        lora_B.copy_((b.to(lora_B.dtype) * (sourceScale / Options.Scale)).unsqueeze(1).expand(OutFeatures, e, r)); // [out, E, r]
    }

    /// <inheritdoc />
    protected override void OnAttached(IAdapterHost host)
    {
        if (host.IsEmbedding || host.Weight.shape[0] != OutFeatures || host.Weight.shape[1] != InFeatures)
            throw new ArgumentException($"a mixture for [{OutFeatures}, {InFeatures}] does not fit a {(host.IsEmbedding ? "embedding" : "projection")} " +
                                        $"of shape [{host.Weight.shape[0]}, {host.Weight.shape[1]}].");
    }

    /// <inheritdoc />
    public override Tensor Apply(Tensor input, Tensor baseOutput, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var x = input.reshape(-1, InFeatures);                                        // [N, in]
        long n = x.shape[0];
        var tokenMask = PerToken(context?.AttentionMask, n)?.to(ScalarType.Bool);     // [N] or null
        var modality = PerToken(context?.TokenModality, n);                           // [N] or null
        var experts = dropout is not null && training ? dropout.call(x) : x;
        bool fusable = Options.Kind == ExpertKind.Lora && Computation == MixtureComputation.Fused && ReferenceEquals(experts, x)
                       && router is not null && Options.Input is RouterInput.Token && router.Strategy.Scoring == RouterScoring.Linear
                       && !(training && Options.Router.Jitter > 0) && (x.dtype == ScalarType.Float32 || !Options.Router.Fp32);

        Tensor? down = null;
        RouterDecision decision;
        var inputs = new RoutingInputs(tokenMask, training);
        if (fusable)
        {
            // One matmul gives every expert's down-projection and the router logits: [N, D + E'].
            var downWeights = DownWeights();
            long width = downWeights.shape[0];
            var projected = nn.functional.linear(x.to(lora_A!.dtype), cat([downWeights, router!.Weight.to(lora_A.dtype)], 0));
            down = projected.narrow(1, 0, width);
            var logits = GroupMasked(projected.narrow(1, width, Options.RouterOutputs), modality);
            if (training && router.Strategy.UsesNoiseStd)
                inputs = inputs with { NoiseStd = router.NoiseStd(x) };
            decision = router.FromLogits(logits, inputs);
        }
        else
        {
            decision = Route(x, inputs, modality, context, n);
        }

        var gates = decision.Gates.narrow(1, 0, Options.Experts);                    // [N, E]: null experts output nothing
        if (Options.Input is not RouterInput.Token)
            gates = ExpandPerSample(gates, n);
        var result = Options.Kind == ExpertKind.Ia3Vector
            ? baseOutput * gates.to(ia3_vectors!.dtype).matmul(ia3_vectors).view(baseOutput.shape).to(baseOutput.dtype)
            : Computation == MixtureComputation.Loop
                ? baseOutput + LoopSum(experts, gates).view(baseOutput.shape).to(baseOutput.dtype)
                : FusedSum(experts, down, gates, baseOutput);

        if (training && auxLosses is not null && context is not null)
            auxLosses.Add(context.Sink, LayerName, decision, Options.Input is RouterInput.Token ? tokenMask : null);
        Statistics?.Record(LayerName, decision, Options.Input is RouterInput.Token ? tokenMask : null,
            Options.Input is RouterInput.Token ? modality : null);
        if (KeepLastDecision)
        {
            // Owned by the mixture (not by any of the forward pass's nested scopes) until replaced.
            static Tensor Keep(Tensor t) => t.detach().clone().DetachFromDisposeScope();
            DisposeLastDecision();
            LastDecision = new RouterDecision(Keep(decision.Logits), Keep(decision.Probabilities), Keep(decision.Gates), Keep(decision.Selected));
        }
        return result.MoveToOuterDisposeScope();
    }

    private void DisposeLastDecision()
    {
        if (LastDecision is not { } last)
            return;
        last.Logits.Dispose();
        last.Probabilities.Dispose();
        last.Gates.Dispose();
        last.Selected.Dispose();
        LastDecision = null;
    }

    /// <summary>Frees the kept decision and the aux-loss state with the module.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeLastDecision();
            auxLosses?.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Advances the adaptive λ of ReLU routing's L1 loss (call once per optimiser step).</summary>
    public void StepAuxLosses() => auxLosses?.Step();

    /// <inheritdoc />
    public override bool CanMerge => false;

    // The experts' down-projections stacked: routed [E·r, in], then shared [S·r, in], then universal [r, in].
    private Tensor DownWeights()
    {
        var parts = new List<Tensor> { lora_A!.view(Options.Experts * Options.Rank, InFeatures) };
        if (shared_A is not null)
            parts.Add(shared_A.view(Options.SharedExperts * Options.Rank, InFeatures));
        if (universal_A is not null)
            parts.Add(universal_A);
        return parts.Count == 1 ? parts[0] : cat(parts, 0);
    }

    // The experts' up-projections side by side, in the order of DownWeights: [out, D].
    private Tensor UpWeights()
    {
        var parts = new List<Tensor> { lora_B!.view(OutFeatures, Options.Experts * Options.Rank) };
        if (shared_B is not null)
            parts.Add(shared_B.view(OutFeatures, Options.SharedExperts * Options.Rank));
        if (universal_B is not null)
            parts.Add(universal_B);
        return parts.Count == 1 ? parts[0] : cat(parts, 1);
    }

    // y + s·(w·(Σ_e g_e B_e A_e x + shared) + (1 − w)·universal), with every scale folded into the small [N, D]
    // activations and one addmm doing "base + activations·B_catᵀ": no pass over the large output besides the addmm.
    private Tensor FusedSum(Tensor x, Tensor? down, Tensor gates, Tensor baseOutput)
    {
        int e = Options.Experts, r = Options.Rank;
        long n = x.shape[0];
        down ??= nn.functional.linear(x.to(lora_A!.dtype), DownWeights());                         // [N, D]
        double s = Options.Scale, w = Options.UniversalWeight ?? 1;
        var routed = down.narrow(1, 0, e * r).view(n, e, r) * (gates.to(down.dtype) * (s * w)).unsqueeze(-1);
        var parts = new List<Tensor> { routed.view(n, e * r) };
        long at = e * r;
        if (shared_A is not null)
        {
            parts.Add(down.narrow(1, at, Options.SharedExperts * r) * (s * w));
            at += Options.SharedExperts * r;
        }
        if (universal_A is not null)
            parts.Add(down.narrow(1, at, r) * (s * (1 - w)));
        var activations = parts.Count == 1 ? parts[0] : cat(parts, 1);                               // [N, D]
        var base2d = baseOutput.reshape(n, OutFeatures);
        return base2d.addmm(activations.to(base2d.dtype), UpWeights().t().to(base2d.dtype)).view(baseOutput.shape);
    }

    // The reference: s · (w·(loop over experts + shared) + (1 − w)·universal), each part computed separately.
    private Tensor LoopSum(Tensor x, Tensor gates)
    {
        int r = Options.Rank;
        var xe = x.to(lora_A!.dtype);
        var routed = LoopExperts(xe, gates.to(xe.dtype));
        if (shared_A is not null)
        {
            int width = Options.SharedExperts * r;
            routed = routed + nn.functional.linear(nn.functional.linear(xe, shared_A.view(width, InFeatures)), shared_B!.view(OutFeatures, width));
        }
        if (Options.UniversalWeight is double w)
        {
            var universal = nn.functional.linear(nn.functional.linear(xe, universal_A!), universal_B!);
            routed = routed * w + universal * (1 - w);
        }
        return routed * Options.Scale;
    }

    // The reference computation: each expert on its own tokens.
    private Tensor LoopExperts(Tensor x, Tensor gates)
    {
        var output = zeros(x.shape[0], OutFeatures, dtype: x.dtype, device: x.device);
        for (int e = 0; e < Options.Experts; e++)
        {
            var tokens = gates.select(1, e).nonzero().squeeze(1);                       // [n_e]
            if (tokens.shape[0] == 0)
                continue;
            var picked = x.index_select(0, tokens);                                      // [n_e, in]
            var y = nn.functional.linear(nn.functional.linear(picked, lora_A![e]), lora_B!.select(1, e));
            y = y * gates.index_select(0, tokens).select(1, e).unsqueeze(1);
            output = output.index_add(0, tokens, y, 1);
        }
        return output;
    }

    private RouterDecision Route(Tensor x, RoutingInputs inputs, Tensor? modality, ForwardContext? context, long n)
    {
        switch (Options.Input)
        {
            case RouterInput.Token:
                var jittered = router!.Jitter(x, inputs);
                if (training && router.Strategy.UsesNoiseStd)
                    inputs = inputs with { NoiseStd = router.NoiseStd(jittered) };
                return router.FromLogits(GroupMasked(router.Logits(jittered), modality), inputs);
            case RouterInput.SampleKey key:
                var sample = SampleKey(context, key.Key);                                  // [batch, width]
                if (sample.shape[^1] != key.Width)
                    throw new ArgumentException($"{LayerName}: sample key '{key.Key}' has width {sample.shape[^1]}, the router expects {key.Width}.");
                if (key.LayerNorm)
                    sample = nn.functional.layer_norm(sample, [key.Width]);
                return router!.Forward(sample.to(router.Weight.dtype), inputs with { TokenMask = null });
            case RouterInput.ClusterId cluster:
                var ids = SampleKey(context, cluster.Key).to(ScalarType.Int64).reshape(-1);   // [batch]
                var logits = cluster_logits!.index_select(0, ids) / Options.Router.Temperature;
                return Options.Strategy.Route(logits, inputs with { TokenMask = null });
            default:
                throw new NotSupportedException($"router input {Options.Input.GetType().Name}");
        }
    }

    private Tensor SampleKey(ForwardContext? context, string key) =>
        context?.SampleKeys.TryGetValue(key, out var value) == true
            ? value
            : throw new ArgumentException($"{LayerName}: the router needs the per-sample key '{key}', which the forward context does not carry " +
                                          $"(keys present: {(context is null || context.SampleKeys.Count == 0 ? "none" : string.Join(", ", context.SampleKeys.Keys))}).");

    // Per-sample gates [batch, E] → per-token [batch·tokens, E] (tokens of a sample are contiguous).
    private static Tensor ExpandPerSample(Tensor gates, long tokens)
    {
        long batch = gates.shape[0];
        if (tokens % batch != 0)
            throw new ArgumentException($"{tokens} tokens cannot be split over {batch} samples.");
        return gates.repeat_interleave(tokens / batch, 0);
    }

    // MoMa: a token may only use its modality's experts (tokens of a modality without a group use all).
    private Tensor GroupMasked(Tensor logits, Tensor? modality)
    {
        if (expertGroups is null || modality is null)
            return logits;
        var groups = tensor(expertGroups, device: logits.device);
        var hasGroup = (modality.unsqueeze(1) == groups.unsqueeze(0)).any(1, keepdim: true);             // [N, 1]
        var allowed = (modality.unsqueeze(1) == groups.unsqueeze(0)).logical_or(hasGroup.logical_not()); // [N, E]
        return logits.masked_fill(allowed.logical_not(), float.NegativeInfinity);
    }

    // A [batch, tokens] context tensor as [N], when it describes exactly these tokens.
    private static Tensor? PerToken(Tensor? t, long n) => t is not null && t.numel() == n ? t.reshape(-1) : null;
}
