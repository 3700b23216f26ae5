using MMAdapt.Adapters.Common;
using MMAdapt.Core.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Pill;

/// <summary>
/// PILL's mixture of modality adapter-experts (MoMAE): one <see cref="GluAdapter"/> per modality, each token handled by
/// its own modality's expert (read from <see cref="ForwardContext.TokenModality"/>), the result added to the block's
/// input: <c>x' = x + Σ_m 1[modality(x) = m] · A_m(x)</c>. Tokens of a modality without an expert pass unchanged.
/// </summary>
/// <remarks>
/// <para>Batching: the experts' weights are concatenated and the per-token one-hot modality mask <c>G</c>
/// <c>[batch, T, M]</c> zeroes the other experts' middle units, so the whole mixture is two matmuls whatever the
/// modalities: <c>h = act(x·W_gate,catᵀ) ⊙ (x·W_down,catᵀ)</c> <c>[batch, T, M·r]</c>, then
/// <c>(h ⊙ expand(G))·W_up,catᵀ</c>. Each token computes every expert's middle units (M times the down projection of
/// the gathered alternative), which buys a forward with no host synchronisation (gathering the tokens of each
/// modality needs their count on the host) and no scatter; with r ≪ d this costs less than the frozen block.</para>
/// <para>Each expert keeps its own parameters, keyed <c>&lt;modality&gt;.down_proj</c> etc., so a stage can freeze one
/// modality's expert (PILL's alignment stage trains the image expert alone). Every up projection starts at zero:
/// the identity.</para>
/// </remarks>
public sealed class ModalityAdapterExperts : SublayerAdapter
{
    private readonly List<(Modality Modality, GluAdapter Expert)> experts = [];
    private readonly long hidden, bottleneck;

    /// <summary>Creates one expert per modality.</summary>
    /// <param name="hidden">Token width.</param>
    /// <param name="bottleneck">Each expert's middle width.</param>
    /// <param name="modalities">The modalities that get an expert (distinct).</param>
    /// <param name="gateActivation">The experts' gate nonlinearity (SiLU in PILL).</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for the experts' down and gate projections.</param>
    /// <exception cref="ArgumentException">No modality, or one listed twice.</exception>
    public ModalityAdapterExperts(long hidden, long bottleneck, IReadOnlyList<Modality> modalities, AdapterActivation gateActivation,
        ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null)
        : this(hidden, new MomaeSettings(bottleneck, modalities, gateActivation), dtype, device, generator)
    {
    }

    /// <summary>Creates one expert per modality from the settings.</summary>
    /// <param name="hidden">Token width.</param>
    /// <param name="settings">Middle width, modalities (distinct), gate nonlinearity.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <param name="generator">Seeded generator for the experts' down and gate projections.</param>
    /// <exception cref="ArgumentException">No modality, or one listed twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A width is not positive.</exception>
    public ModalityAdapterExperts(long hidden, MomaeSettings settings, ScalarType dtype = ScalarType.Float32, Device? device = null,
        Generator? generator = null) : base(nameof(ModalityAdapterExperts))
    {
        var modalities = settings.Modalities.ToArray();
        if (modalities.Length == 0 || modalities.Distinct().Count() != modalities.Length)
            throw new ArgumentException($"{nameof(ModalityAdapterExperts)}: needs distinct modalities, got [{string.Join(", ", modalities)}].", nameof(settings));
        Settings = settings with { Modalities = modalities };
        (this.hidden, bottleneck) = (hidden, settings.Bottleneck);
        foreach (var modality in modalities)
        {
            var expert = new GluAdapter(hidden, bottleneck, settings.GateActivation, dtype, device, generator);
            experts.Add((modality, expert));
            register_module(ModalityNames.Of(modality), expert);
        }
    }

    /// <summary>What the experts were built with (what <c>mmadapt_config.json</c> saves).</summary>
    public MomaeSettings Settings { get; }

    /// <summary>Token width.</summary>
    public long Hidden => hidden;

    /// <summary>Each expert's middle width.</summary>
    public long Bottleneck => bottleneck;

    /// <summary>The modalities with an expert, in order.</summary>
    public IReadOnlyList<Modality> Modalities => Settings.Modalities;

    /// <summary>The expert of a modality.</summary>
    /// <exception cref="KeyNotFoundException">The modality has no expert; the message lists those that do.</exception>
    public GluAdapter this[Modality modality] => experts.Find(e => e.Modality == modality).Expert
        ?? throw new KeyNotFoundException($"No {ModalityNames.Of(modality)} expert (experts: {string.Join(", ", experts.Select(e => ModalityNames.Of(e.Modality)))}).");

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The context's modality ids are not <c>[batch, tokens]</c>.</exception>
    public override Tensor BeforeSublayer(Tensor input, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        long batch = input.shape[0], tokens = input.shape[1];
        var ids = TokenModalities.Ids(context, batch, tokens, input.device, GetName());                // [batch, T]
        var routing = stack(experts.Select(e => ids.eq((long)e.Modality)).ToArray(), -1).to(input.dtype); // [batch, T, M]
        var downAndGate = cat(experts.Select(e => (Tensor)e.Expert.DownProjection)
                                     .Concat(experts.Select(e => (Tensor)e.Expert.GateProjection)).ToArray(), 0); // [2·M·r, d]
        var projected = nn.functional.linear(input, downAndGate.to(input.dtype)).chunk(2, -1);          // 2 × [batch, T, M·r]
        var middle = AdapterActivations.Apply(experts[0].Expert.GateActivation, projected[1]) * projected[0];
        middle = middle * routing.repeat_interleave(bottleneck, dim: -1);                                // other experts' units → 0
        var up = cat(experts.Select(e => (Tensor)e.Expert.UpProjection).ToArray(), 1);                  // [d, M·r]
        return (input + nn.functional.linear(middle, up.to(input.dtype))).MoveToOuterDisposeScope();   // [batch, T, d]
    }
}
