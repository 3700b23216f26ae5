using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// A token router: <c>logits = x·Wᵀ</c> (or cosine similarities for <see cref="TopAny"/>), divided by the
/// temperature, turned into a <see cref="RouterDecision"/> by its <see cref="RoutingStrategy"/>.
/// </summary>
/// <remarks>
/// <para>State-dict keys: <c>weight</c> <c>[E, in]</c> (a linear map without bias, normal with
/// <see cref="RouterOptions.InitStd"/>, or zeros when it is 0); <c>noise_weight</c> <c>[E, in]</c> when the strategy
/// uses noise (<see cref="NoisyTopK"/>: Shazeer's <c>W_noise</c>, zero-initialised as in the paper);
/// <c>thresholds</c> <c>[E]</c> when it uses thresholds (<see cref="TopAny"/>: DynMoE's <c>G</c>, zero-initialised).</para>
/// <para>Dtypes: parameters are stored in <c>dtype</c>; with <see cref="RouterOptions.Fp32"/> (the default) the
/// input and parameters are cast to float32 for the router math, so the decision is float32 whatever the model
/// dtype (keep router weights themselves in float32 when training in bf16 for exact updates).</para>
/// <para>For a fused matmul, compute <c>x·Wᵀ</c> yourself (with <see cref="Weight"/>; <see cref="Logits"/> shows
/// what the strategy expects) and call <see cref="FromLogits"/>; apply <see cref="Jitter"/> to the router input
/// first if jitter is on, and pass <see cref="NoiseStd"/> for noisy top-k in training.</para>
/// </remarks>
public sealed class TokenRouter : nn.Module
{
    [ComponentName(Name = "weight")]
    private readonly Parameter weight;
    [ComponentName(Name = "noise_weight")]
    private readonly Parameter? noiseWeight;
    [ComponentName(Name = "thresholds")]
    private readonly Parameter? thresholds;

    private readonly double temperature;
    private readonly double jitter;
    private readonly bool fp32;

    /// <summary>Creates the router and initialises its parameters.</summary>
    /// <param name="inFeatures">Router input width.</param>
    /// <param name="experts">Number of experts E (≥ 1).</param>
    /// <param name="strategy">How logits become gates; validated against <paramref name="experts"/>.</param>
    /// <param name="options">Temperature, jitter, float32 math, initialisation; validated here.</param>
    /// <param name="dtype">Parameter storage dtype.</param>
    /// <param name="device">Parameter device (CPU when null).</param>
    /// <param name="generator">Generator for the initial weight (null: the global one).</param>
    /// <exception cref="ArgumentException">A size, strategy option or router option is invalid (the message names it).</exception>
    public TokenRouter(long inFeatures, int experts, RoutingStrategy strategy, RouterOptions options,
        ScalarType dtype, Device? device, Generator? generator = null) : base(nameof(TokenRouter))
    {
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(options);
        if (inFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"TokenRouter: in features must be positive, got {inFeatures}.");
        if (experts < 1)
            throw new ArgumentOutOfRangeException(nameof(experts), $"TokenRouter: the number of experts must be at least 1, got {experts}.");
        strategy.Validate(experts);
        options.Validate();
        Strategy = strategy;
        Options = options;
        InFeatures = inFeatures;
        Experts = experts;
        (temperature, jitter, fp32) = (options.Temperature, options.Jitter, options.Fp32);

        weight = new Parameter(zeros(experts, inFeatures, dtype: dtype, device: device));
        if (options.InitStd > 0)
        {
            using var _ = no_grad();
            weight.normal_(0, options.InitStd, generator);
        }
        if (strategy.UsesNoiseStd)
            noiseWeight = new Parameter(zeros(experts, inFeatures, dtype: dtype, device: device));
        if (strategy.UsesThresholds)
            thresholds = new Parameter(zeros(experts, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <summary>The strategy.</summary>
    public RoutingStrategy Strategy { get; }

    /// <summary>The router options.</summary>
    public RouterOptions Options { get; }

    /// <summary>Router input width.</summary>
    public long InFeatures { get; }

    /// <summary>Number of experts E.</summary>
    public int Experts { get; }

    /// <summary>The router weight <c>[E, in]</c>.</summary>
    public Parameter Weight => weight;

    /// <summary>Shazeer's noise projection <c>W_noise</c> <c>[E, in]</c>, or null when the strategy adds no noise.</summary>
    public Parameter? NoiseWeight => noiseWeight;

    /// <summary>The trainable per-expert thresholds <c>[E]</c> (logit units), or null when the strategy has none.</summary>
    public Parameter? Thresholds => thresholds;

    /// <summary>Routes <c>N</c> tokens: jitter (training), logits, temperature, strategy.</summary>
    /// <param name="x">Router input <c>[N, in]</c>.</param>
    /// <param name="inputs">Token mask, training flag and generator; <see cref="RoutingInputs.NoiseStd"/> and
    /// <see cref="RoutingInputs.Thresholds"/> are filled from this router's parameters when null.</param>
    /// <returns>The decision, its tensors in the caller's dispose scope.</returns>
    public RouterDecision Forward(Tensor x, RoutingInputs inputs)
    {
        CheckInput(x);
        using var scope = NewDisposeScope();
        var routed = Jitter(x, inputs);
        if (Strategy.UsesNoiseStd && inputs.Training && inputs.NoiseStd is null)
            inputs = inputs with { NoiseStd = NoiseStd(routed) };
        return Route(Logits(routed), inputs).MoveToOuterDisposeScope();
    }

    /// <summary>Routes logits that the caller computed (e.g. as part of a fused matmul): applies the float32 cast and
    /// the temperature, fills <see cref="RoutingInputs.Thresholds"/> from this router, and runs the strategy.</summary>
    /// <param name="logits">Raw logits <c>[N, E]</c> as <see cref="Logits"/> computes them (before temperature).</param>
    /// <param name="inputs">As for <see cref="Forward"/>; noisy top-k in training needs
    /// <see cref="RoutingInputs.NoiseStd"/> from <see cref="NoiseStd"/>.</param>
    /// <returns>The decision, its tensors in the caller's dispose scope (the caller's logits are not moved).</returns>
    public RouterDecision FromLogits(Tensor logits, RoutingInputs inputs)
    {
        if (logits.dim() != 2 || logits.shape[1] != Experts)
            throw new ArgumentException($"TokenRouter: logits must be [tokens, {Experts}], got [{string.Join(", ", logits.shape)}].", nameof(logits));
        using var scope = NewDisposeScope();
        return Route(logits, inputs).MoveToOuterDisposeScope();
    }

    /// <summary>The raw router logits <c>[N, E]</c> before temperature: <c>x·Wᵀ</c>, or for cosine scoring
    /// <c>normalize(x)·normalize(W)ᵀ</c>; float32 when <see cref="RouterOptions.Fp32"/>.</summary>
    /// <param name="x">Router input <c>[N, in]</c>.</param>
    public Tensor Logits(Tensor x)
    {
        var input = Math32(x);
        var w = Math32(weight);
        return Strategy.Scoring == RouterScoring.Cosine
            ? nn.functional.linear(nn.functional.normalize(input, dim: 1), nn.functional.normalize(w, dim: 1))
            : nn.functional.linear(input, w);
    }

    /// <summary>Shazeer's noise scale <c>softplus(x·W_noiseᵀ)</c> <c>[N, E]</c> (float32 when
    /// <see cref="RouterOptions.Fp32"/>).</summary>
    /// <param name="x">Router input <c>[N, in]</c> (after <see cref="Jitter"/>).</param>
    /// <exception cref="InvalidOperationException">The strategy adds no noise (the router has no noise projection).</exception>
    public Tensor NoiseStd(Tensor x)
    {
        var w = noiseWeight ?? throw new InvalidOperationException(
            $"TokenRouter: strategy {Strategy.Name} adds no noise, so the router has no noise_weight.");
        return nn.functional.softplus(nn.functional.linear(Math32(x), Math32(w)));
    }

    /// <summary>The router input with Switch-style multiplicative jitter <c>U(1 − ε, 1 + ε)</c> in training
    /// (the input itself when not training or jitter is 0).</summary>
    /// <param name="x">Router input <c>[N, in]</c>.</param>
    /// <param name="inputs">Training flag and generator.</param>
    public Tensor Jitter(Tensor x, RoutingInputs inputs)
    {
        if (!inputs.Training || jitter == 0)
            return x;
        var noise = rand(x.shape, dtype: x.dtype, device: x.device, generator: inputs.Noise);
        return x * (noise * (2 * jitter) + (1 - jitter));
    }

    private RouterDecision Route(Tensor logits, RoutingInputs inputs)
    {
        if (thresholds is not null && inputs.Thresholds is null)
            inputs = inputs with { Thresholds = Math32(thresholds) };
        var scaled = Math32(logits);
        // A new tensor in this scope either way, so moving the decision out never moves the caller's logits.
        scaled = temperature == 1 ? scaled.alias() : scaled / temperature;
        return Strategy.Route(scaled, inputs);
    }

    private Tensor Math32(Tensor t) => fp32 && t.dtype != ScalarType.Float32 ? t.to(ScalarType.Float32) : t;

    private void CheckInput(Tensor x)
    {
        if (x.dim() != 2 || x.shape[1] != InFeatures)
            throw new ArgumentException($"TokenRouter: input must be [tokens, {InFeatures}], got [{string.Join(", ", x.shape)}].", nameof(x));
    }
}
