using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Sublayers;
using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.SoftMoa;

/// <summary>
/// Soft mixture of adapters (Soft-MoA; Cappellazzo et al., 2024, "Efficient Fine-tuning of Audio Spectrogram
/// Transformers via Soft Mixture of Adapters"), the Soft MoE router of Puigcerver et al. (2023) over <c>n</c>
/// bottleneck adapters with <c>p</c> slots each.
/// </summary>
/// <remarks>
/// <para>For tokens <c>X</c> <c>[batch, T, d]</c>: logits <c>L = X·Φ</c> <c>[batch, T, n·p]</c> with <c>Φ</c>
/// <c>[d, n·p]</c>; with <c>normalize</c>, <c>L = norm(X)·(scale·norm(Φ))</c>, each token and each column of
/// <c>Φ</c> scaled to unit length along <c>d</c> (<c>x·rsqrt(Σx² + 1e-6)</c>) and <c>scale</c> a learned scalar
/// starting at 1, as in Soft MoE. Dispatch <c>D = softmax_T(L)</c> (each slot a convex combination of tokens),
/// combine <c>C = softmax_slots(L)</c> (each token a convex combination of slot outputs). Slot inputs
/// <c>X̃ = Dᵀ·X</c> <c>[batch, n·p, d]</c> (the raw tokens, not the normalised ones: normalisation only shapes
/// the routing), expert <c>e</c> runs on its <c>p</c> slots (all experts in one batched einsum), and the result is
/// <c>Y = C·Ỹ</c> <c>[batch, T, d]</c>.</para>
/// <para>Padding: tokens whose <see cref="ForwardContext.AttentionMask"/> is 0 get dispatch weight exactly 0 (their
/// logits are set to the dtype's lowest value before the softmax over tokens), so they change no slot and no real
/// token's output. Because every slot reads every token, the adapter mixes tokens: causal decoders refuse it.</para>
/// <para><c>Φ</c> starts as LeCun-normal (std <c>1/√d</c>) and every expert's up projection as zero, so the adapter
/// starts as the identity. Keys: <c>phi</c>, <c>scale</c> (with normalisation), <c>experts.*</c>.</para>
/// </remarks>
public sealed class SoftMixtureOfAdapters : ResidualSublayerAdapter
{
    private const double NormEpsilon = 1e-6;

#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter phi;
    private readonly Parameter? scale;
    private readonly BottleneckExperts experts;
#pragma warning restore IDE1006
    private readonly long expertCount, slots, hidden;

    /// <summary>Creates the mixture.</summary>
    /// <param name="hidden">Token width <c>d</c>.</param>
    /// <param name="experts">Number of adapters <c>n</c>.</param>
    /// <param name="slots">Slots per adapter <c>p</c>.</param>
    /// <param name="bottleneck">Each adapter's middle width.</param>
    /// <param name="activation">The adapters' nonlinearity.</param>
    /// <param name="scaling">Factor on the adapters' outputs.</param>
    /// <param name="normalize">L2-normalise tokens and <c>Φ</c> along <c>d</c>, with a learned scale.</param>
    /// <param name="parallel">True: reads the block's input; false: its output.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for <c>Φ</c> and the down projections.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public SoftMixtureOfAdapters(long hidden, long experts, long slots, long bottleneck, AdapterActivation activation, double scaling,
        bool normalize, bool parallel, ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null)
        : this(hidden, new SoftMoaSettings(experts, slots, bottleneck, activation, scaling, normalize, parallel), dtype, device, generator)
    {
    }

    /// <summary>Creates the mixture from its settings.</summary>
    /// <param name="hidden">Token width <c>d</c>.</param>
    /// <param name="settings">Adapters, slots, middle width, nonlinearity, scaling, normalisation, parallel or sequential.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for <c>Φ</c> and the down projections.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public SoftMixtureOfAdapters(long hidden, SoftMoaSettings settings, ScalarType dtype = ScalarType.Float32, Device? device = null,
        Generator? generator = null)
        : base(nameof(SoftMixtureOfAdapters), settings.Parallel)
    {
        AdapterInit.RequirePositive(settings.Slots, "slots", nameof(SoftMixtureOfAdapters));
        AdapterInit.RequirePositive(settings.Experts, "experts", nameof(SoftMixtureOfAdapters));
        AdapterInit.RequirePositive(hidden, nameof(hidden), nameof(SoftMixtureOfAdapters));
        Settings = settings;
        (expertCount, slots, this.hidden) = (settings.Experts, settings.Slots, hidden);
        phi = AdapterInit.Normal([hidden, expertCount * slots], 1.0 / Math.Sqrt(hidden), generator, dtype, device);
        scale = settings.Normalize ? AdapterInit.Ones([], dtype, device) : null;
        experts = new BottleneckExperts(expertCount, hidden, settings.Bottleneck, settings.Activation, settings.Scaling, dtype, device, generator);
        RegisterComponents();
    }

    /// <summary>What the mixture was built with (what <c>mmadapt_config.json</c> saves).</summary>
    public SoftMoaSettings Settings { get; }

    /// <inheritdoc />
    public override bool MixesTokens => true;

    /// <summary>Number of adapters <c>n</c>.</summary>
    public long ExpertCount => expertCount;

    /// <summary>Slots per adapter <c>p</c>.</summary>
    public long Slots => slots;

    /// <summary>True when tokens and <c>Φ</c> are L2-normalised before the logits.</summary>
    public bool Normalize => Settings.Normalize;

    /// <summary>The slot parameters <c>Φ</c> <c>[d, n·p]</c> (column <c>e·p + j</c> is slot <c>j</c> of expert <c>e</c>).</summary>
    public Parameter Phi => phi;

    /// <summary>The learned logit scale (null without normalisation).</summary>
    public Parameter? Scale => scale;

    /// <summary>The stacked adapters.</summary>
    public BottleneckExperts Experts => experts;

    /// <inheritdoc />
    public override Tensor Change(Tensor x, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0];
        var (dispatch, combine) = RoutingWeights(x, context?.AttentionMask);                        // [batch, T, n·p] each
        var slotInputs = dispatch.transpose(1, 2).matmul(x);                                         // [batch, n·p, d]
        var slotOutputs = experts.PerExpert(slotInputs.view(batch, expertCount, slots, hidden));     // [batch, n, p, d]
        return combine.matmul(slotOutputs.reshape(batch, expertCount * slots, hidden)).MoveToOuterDisposeScope(); // [batch, T, d]
    }

    /// <summary>The dispatch and combine weights for tokens <paramref name="x"/> (exposed for tests and statistics).</summary>
    /// <param name="x"><c>[batch, T, d]</c></param>
    /// <param name="mask"><c>[batch, T]</c>, 1 for real tokens and 0 for padding, or null.</param>
    /// <returns>Dispatch <c>[batch, T, n·p]</c> (sums to 1 over <c>T</c>) and combine <c>[batch, T, n·p]</c> (sums to 1 over slots).</returns>
    /// <exception cref="ArgumentException">The mask's shape is not <c>[batch, T]</c>.</exception>
    internal (Tensor Dispatch, Tensor Combine) RoutingWeights(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var logits = Normalize
            ? UnitLength(x, -1).matmul(UnitLength(phi, 0) * scale!.to(x.dtype))                    // [batch, T, n·p]
            : x.matmul(phi);
        var dispatchLogits = logits;
        if (mask is not null)
        {
            if (mask.dim() != 2 || mask.shape[0] != x.shape[0] || mask.shape[1] != x.shape[1])
                throw new ArgumentException($"{GetName()}: attention mask [{string.Join(", ", mask.shape)}] does not match the tokens " +
                                            $"[{x.shape[0]}, {x.shape[1]}] (expected [batch, tokens]).");
            var padding = mask.eq(0).unsqueeze(-1);                                                  // [batch, T, 1]
            dispatchLogits = logits.masked_fill(padding, finfo(logits.dtype).min);
        }
        var dispatch = dispatchLogits.softmax(1);
        var combine = logits.softmax(2);
        return (dispatch.MoveToOuterDisposeScope(), combine.MoveToOuterDisposeScope());
    }

    // x · rsqrt(Σ x² + ε) along one dimension, as Soft MoE normalises tokens and slot parameters.
    private static Tensor UnitLength(Tensor t, long dim) => t * (t.square().sum(dim, keepdim: true) + NormEpsilon).rsqrt();
}
