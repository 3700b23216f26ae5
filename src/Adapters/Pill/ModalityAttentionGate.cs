using MMAdapt.Adapters.Common;
using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Pill;

/// <summary>
/// PILL's modality-attention gate (MAG), attached to an attention block's value projection: for tokens of the gated
/// modalities (image by default), each head's value vector is multiplied by a learned per-token gate
/// <c>g = tanh(W_G·a)</c> <c>[heads]</c>, where <c>a</c> is the value projection's input; other tokens' values are
/// unchanged. With <see cref="Residual"/>, the factor is <c>1 + g</c> instead.
/// </summary>
/// <remarks>
/// <para><c>W_G</c> <c>[heads, in]</c> (key <c>gate_proj</c>) starts at zero, so gated tokens start silent (value 0: other
/// tokens attend to them but take nothing from them) and the gate learns how much of each head to let through, as in
/// PILL; the residual form starts as the identity, for a model that already attends to those tokens (after an
/// alignment stage). <see cref="Enabled"/> false leaves the values alone (PILL's alignment stage runs without the
/// gate).</para>
/// <para>Shapes: the value projection's output <c>[batch, T, heads·headDim]</c> is viewed as
/// <c>[batch, T, heads, headDim]</c> and multiplied by <c>[batch, T, heads, 1]</c> where the token's modality is gated.
/// <c>heads</c> is the number of key/value heads (grouped-query attention gates each shared value head); it must divide
/// the projection's output width, which attaching checks.</para>
/// </remarks>
public sealed class ModalityAttentionGate : ProjectionAdapter
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter gate_proj;
#pragma warning restore IDE1006
    private readonly long[] gated;

    /// <summary>Creates the gate.</summary>
    /// <param name="inFeatures">The value projection's input width.</param>
    /// <param name="heads">Key/value heads of the attention block.</param>
    /// <param name="modalities">The modalities whose values are gated.</param>
    /// <param name="residual">Multiply by <c>1 + g</c> (identity at first) instead of <c>g</c> (silent at first).</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">No modality to gate.</exception>
    public ModalityAttentionGate(long inFeatures, long heads, IReadOnlyList<Modality> modalities, bool residual,
        ScalarType dtype = ScalarType.Float32, Device? device = null)
        : this(inFeatures, new MagSettings(heads, modalities, residual), dtype, device)
    {
    }

    /// <summary>Creates the gate from its settings.</summary>
    /// <param name="inFeatures">The value projection's input width.</param>
    /// <param name="settings">Heads, gated modalities (a repeat counts once), residual or not.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">No modality to gate.</exception>
    public ModalityAttentionGate(long inFeatures, MagSettings settings, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(ModalityAttentionGate))
    {
        AdapterInit.RequirePositive(inFeatures, nameof(inFeatures), nameof(ModalityAttentionGate));
        AdapterInit.RequirePositive(settings.Heads, "heads", nameof(ModalityAttentionGate));
        if (settings.Modalities.Count == 0)
            throw new ArgumentException($"{nameof(ModalityAttentionGate)}: needs at least one modality to gate.", nameof(settings));
        Settings = settings with { Modalities = settings.Modalities.Distinct().ToArray() };
        gated = Settings.Modalities.Select(m => (long)m).ToArray();
        gate_proj = AdapterInit.Zeros([settings.Heads, inFeatures], dtype, device);
        RegisterComponents();
    }

    /// <summary>What the gate was built with (what <c>mmadapt_config.json</c> saves, with <see cref="Enabled"/>).</summary>
    public MagSettings Settings { get; }

    /// <summary>Key/value heads: the gate has one value per head and token.</summary>
    public long Heads => Settings.Heads;

    /// <summary>True: factor <c>1 + g</c>; false: factor <c>g</c>.</summary>
    public bool Residual => Settings.Residual;

    /// <summary>The modalities whose values are gated.</summary>
    public IReadOnlyList<Modality> GatedModalities => Settings.Modalities;

    /// <summary>When false, the values pass unchanged (alignment stages).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>W_G</c> <c>[heads, in]</c> (zero at initialisation).</summary>
    public Parameter GateProjection => gate_proj;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The host is an embedding, its input width differs, or <see cref="Heads"/> does
    /// not divide its output width (the message names both numbers).</exception>
    protected override void OnAttached(IAdapterHost host)
    {
        long outFeatures = host.Weight.shape[0], inFeatures = host.Weight.shape[1];
        if (host.IsEmbedding)
            throw new ArgumentException($"{GetName()} gates a value projection, not an embedding.");
        if (inFeatures != gate_proj.shape[1])
            throw new ArgumentException($"{GetName()}: gate input width {gate_proj.shape[1]} does not fit a value projection of shape [{outFeatures}, {inFeatures}].");
        if (outFeatures % Heads != 0)
            throw new ArgumentException($"{GetName()}: {Heads} heads do not divide the value projection's {outFeatures} output features " +
                                        "(give the attention's key/value head count).");
    }

    /// <inheritdoc />
    public override Tensor Apply(Tensor input, Tensor baseOutput, ForwardContext? context)
    {
        if (!Enabled || (context?.TokenModality is null && !gated.Contains((long)Modality.Text)))
            return baseOutput; // nothing to gate (no ids means all text)
        using var scope = NewDisposeScope();
        if (baseOutput.dim() != 3)
            throw new ArgumentException($"{GetName()}: expects value projections of [batch, tokens, width], got [{string.Join(", ", baseOutput.shape)}].");
        long batch = baseOutput.shape[0], tokens = baseOutput.shape[1], width = baseOutput.shape[2];
        var ids = TokenModalities.Ids(context, batch, tokens, baseOutput.device, GetName());         // [batch, T]
        var isGated = ids.eq(gated[0]);
        for (int i = 1; i < gated.Length; i++)
            isGated = isGated.logical_or(ids.eq(gated[i]));
        var gate = nn.functional.linear(input, gate_proj.to(input.dtype)).tanh();                    // [batch, T, heads]
        var factor = (Residual ? gate + 1 : gate).to(baseOutput.dtype).unsqueeze(-1);               // [batch, T, heads, 1]
        var values = baseOutput.reshape(batch, tokens, Heads, width / Heads);                        // [batch, T, heads, headDim]
        var adapted = where(isGated.view(batch, tokens, 1, 1), values * factor, values);
        return adapted.reshape(batch, tokens, width).MoveToOuterDisposeScope();                      // [batch, T, heads·headDim]
    }
}
