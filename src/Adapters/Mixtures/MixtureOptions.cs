using MMAdapt.Adapters.Routing;
using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Mixtures;

/// <summary>What each expert of a mixture is.</summary>
public enum ExpertKind
{
    /// <summary>A LoRA of rank r (MoLoRA, LoRAMoE, MoE-LoRA); rank 1 gives "each rank an expert".</summary>
    Lora,
    /// <summary>An IA3 vector scaling the projection's output (MoV, Zadouri et al., 2023).</summary>
    Ia3Vector,
}

/// <summary>Where a mixture's router takes its input from.</summary>
public abstract record RouterInput
{
    /// <summary>Each token routes on its own hidden state (the projection's input).</summary>
    public sealed record Token : RouterInput;

    /// <summary>Each sample routes once, on a per-sample key from <see cref="ForwardContext.SampleKeys"/>
    /// (<c>[batch, width]</c>): Octavius (mean of the instruction's token embeddings), Awaker (layer-normed mean
    /// prompt embedding, with <see cref="LayerNorm"/>), all tokens of a sample sharing its gates.</summary>
    /// <param name="Key">The SampleKeys entry.</param>
    /// <param name="Width">The key's width.</param>
    /// <param name="LayerNorm">Layer-normalise the key (no affine parameters) before routing (Awaker).</param>
    public sealed record SampleKey(string Key, int Width, bool LayerNorm = false) : RouterInput;

    /// <summary>Each sample routes by a cluster id (<c>[batch]</c> int64 in SampleKeys), through a learned table of
    /// router logits per cluster (MoCLE).</summary>
    /// <param name="Key">The SampleKeys entry.</param>
    /// <param name="Clusters">Number of clusters.</param>
    public sealed record ClusterId(string Key, int Clusters) : RouterInput;
}

/// <summary>
/// A mixture of low-rank experts on one projection: <c>y = W x + s · Σ_e g_e(x) B_e A_e x</c> with gates <c>g</c> from a
/// router (any <see cref="RoutingStrategy"/>) and options for always-on shared experts (DeepSeekMoE), null experts
/// that output nothing (AdaMoE), a universal expert blended as <c>w·y_experts + (1−w)·y_universal</c> (MoCLE,
/// Awaker), experts grouped by token modality (MoMa), and IA3-vector experts (MoV).
/// </summary>
public sealed record MixtureOptions
{
    /// <summary>Routed experts E (null and shared experts not included).</summary>
    public int Experts { get; init; } = 4;
    /// <summary>Rank r of each LoRA expert.</summary>
    public int Rank { get; init; } = 8;
    /// <summary>LoRA alpha; the scale is alpha / r (or alpha / √r with <see cref="UseRsLora"/>).</summary>
    public double Alpha { get; init; } = 16;
    /// <summary>Scale by alpha / √r.</summary>
    public bool UseRsLora { get; init; }
    /// <summary>Dropout on the experts' input in training.</summary>
    public double Dropout { get; init; }
    /// <summary>What the experts are.</summary>
    public ExpertKind Kind { get; init; } = ExpertKind.Lora;
    /// <summary>The routing strategy (default: softmax then top-2, renormalised).</summary>
    public RoutingStrategy Strategy { get; init; } = new SoftmaxTopK(2, true);
    /// <summary>Temperature, jitter, fp32 router math, initialisation.</summary>
    public RouterOptions Router { get; init; } = new();
    /// <summary>What the router reads.</summary>
    public RouterInput Input { get; init; } = new RouterInput.Token();
    /// <summary>Auxiliary losses (each with its coefficient), added to the forward context's sink in training.</summary>
    public IReadOnlyList<AuxLoss> AuxLosses { get; init; } = [];
    /// <summary>Always-on experts (gate 1), each a LoRA of rank r (DeepSeekMoE's shared experts).</summary>
    public int SharedExperts { get; init; }
    /// <summary>Null experts the router may pick, which output zero (AdaMoE): a token can use fewer real experts.</summary>
    public int NullExperts { get; init; }
    /// <summary>When set, a universal LoRA expert is blended as w·y_experts + (1−w)·y_universal with this w.</summary>
    public double? UniversalWeight { get; init; }
    /// <summary>MoMa: experts per modality, in expert order (e.g. Text 4, Image 4: experts 0–3 text, 4–7 image). Tokens
    /// route only inside their modality's group; a modality without a group may use every expert.</summary>
    public IReadOnlyList<(Modality Modality, int Experts)>? ModalityGroups { get; init; }

    /// <summary>Experts the router scores: routed plus null.</summary>
    public int RouterOutputs => Experts + NullExperts;

    /// <summary>The LoRA scale.</summary>
    public double Scale => Alpha / (UseRsLora ? Math.Sqrt(Rank) : Rank);

    /// <summary>Checks the settings; the message names the option and the supported values.</summary>
    /// <exception cref="ArgumentException">An impossible combination.</exception>
    public void Validate()
    {
        if (Experts <= 0)
            throw new ArgumentException($"experts must be positive, got {Experts}.");
        if (Rank <= 0)
            throw new ArgumentException($"rank must be positive, got {Rank}.");
        if (SharedExperts < 0 || NullExperts < 0)
            throw new ArgumentException($"shared_experts and null_experts must be >= 0 (got {SharedExperts}, {NullExperts}).");
        if (Dropout is < 0 or >= 1)
            throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
        if (UniversalWeight is < 0 or > 1)
            throw new ArgumentException($"universal_weight must be in [0, 1], got {UniversalWeight}.");
        if (Kind == ExpertKind.Ia3Vector && (SharedExperts > 0 || UniversalWeight is not null))
            throw new ArgumentException("IA3-vector experts (MoV) support neither shared nor universal experts.");
        if (ModalityGroups is { } groups)
        {
            if (groups.Sum(g => g.Experts) != Experts || groups.Any(g => g.Experts <= 0))
                throw new ArgumentException($"modality groups must split the {Experts} experts into positive counts, got {string.Join(", ", groups.Select(g => $"{g.Modality}: {g.Experts}"))}.");
            if (groups.Select(g => g.Modality).Distinct().Count() != groups.Count)
                throw new ArgumentException("each modality may have one expert group.");
            if (NullExperts > 0)
                throw new ArgumentException("null experts cannot be combined with modality groups.");
        }
        Strategy.Validate(RouterOutputs);
        Router.Validate();
        foreach (var loss in AuxLosses)
            loss.Validate(RouterOutputs);
    }
}
