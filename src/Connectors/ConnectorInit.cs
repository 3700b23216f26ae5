using System.Text.RegularExpressions;
using MMAdapt.Core.Checkpoints;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// Initialises connectors from trained ones: a connector's own weights (<see cref="LoadWeights"/>), a MoE connector whose
/// experts all start as one trained MLP connector (CuMo's upcycling, <see cref="UpcycleExperts"/>), or whose experts each
/// start from a different one (ChartMoE, <see cref="ExpertsFrom"/>).
/// </summary>
/// <remarks>
/// <para><b>Names.</b> A checkpoint name under <c>prefix</c> loses the prefix and must then equal a module key
/// (<c>linear_1.weight</c>); names outside the prefix (a whole LLaVA checkpoint's LLM and vision tower) are ignored.
/// Two further maps cover original LLaVA's <c>mm_projector</c>, an <c>nn.Sequential(Linear, GELU, Linear, …)</c> or a bare
/// <c>nn.Linear</c>:</para>
/// <list type="bullet">
/// <item><c>&lt;prefix&gt;{i}.weight</c> / <c>.bias</c> with an even Sequential index <c>i</c> load into
/// <c>linear_{i/2 + 1}</c> (<c>model.mm_projector.0</c> → <c>linear_1</c>, <c>.2</c> → <c>linear_2</c>, <c>.4</c> →
/// <c>linear_3</c>); odd indices are activations and hold no tensors;</item>
/// <item><c>&lt;prefix&gt;weight</c> / <c>bias</c> (the <c>linear</c> projector) load into <c>linear_1</c>.</item>
/// </list>
/// <para><b>Strict.</b> Every module key must be fed, except the weights of attached adapters (<c>….adapters.…</c>), and
/// every name under the prefix must be used; shapes are checked before anything is copied, and a mismatch names the
/// tensor and both shapes. A failed call leaves the connector unchanged.</para>
/// </remarks>
public static class ConnectorInit
{
    /// <summary>Where Hugging Face <c>LlavaForConditionalGeneration</c> keeps its projector (<c>linear_1</c>, <c>linear_2</c>).</summary>
    public const string LlavaPrefix = "multi_modal_projector.";

    /// <summary>Where original LLaVA checkpoints (and <c>mm_projector.bin</c> converted to safetensors) keep the projector
    /// (<c>0</c>, <c>2</c>: Sequential indices).</summary>
    public const string LlavaOriginalPrefix = "model.mm_projector.";

    private static readonly Regex SequentialIndex = new(@"^(\d+)\.(weight|bias)$", RegexOptions.CultureInvariant);

    /// <summary>Loads a connector's weights.</summary>
    /// <param name="connector">The connector; its <c>state_dict()</c> keys are the targets.</param>
    /// <param name="safetensorsPath">A <c>.safetensors</c> file, a sharded index, or a folder holding <c>model.safetensors</c>.</param>
    /// <param name="prefix">The prefix of the connector's tensors in the checkpoint (<see cref="LlavaPrefix"/>,
    /// <see cref="LlavaOriginalPrefix"/>), or null when the names are the module keys themselves.</param>
    /// <exception cref="CheckpointException">Missing or unexpected tensors (listed), a shape mismatch (the tensor and both
    /// shapes), or a file that cannot be read.</exception>
    public static void LoadWeights(Connector connector, string safetensorsPath, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(connector);
        using var checkpoint = CheckpointReader.Open(safetensorsPath);
        StateDictLoader.Load(connector, checkpoint, KeyMap(prefix), strict: true, allowMissing: IsAdapterKey);
    }

    /// <summary>CuMo's sparse upcycling: every expert becomes a copy of one trained MLP connector of the experts' shape
    /// (plus, optionally, independent normal noise so the experts diverge); the router is left as it is.</summary>
    /// <param name="moe">The MoE connector.</param>
    /// <param name="mlpConnectorSafetensors">The trained MLP connector's checkpoint (names as for <see cref="LoadWeights"/>).</param>
    /// <param name="prefix">The connector's prefix in that checkpoint, or null.</param>
    /// <param name="noiseStd">Standard deviation of the noise added to every expert weight and bias (absolute, ≥ 0; 0 = exact copies).</param>
    /// <param name="generator">Generator for the noise (null: the global one).</param>
    /// <exception cref="CheckpointException">The checkpoint is not an MLP connector of the experts' depth and widths.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="noiseStd"/> is negative.</exception>
    public static void UpcycleExperts(MoeConnector moe, string mlpConnectorSafetensors, string? prefix = null, double noiseStd = 0,
        Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(moe);
        if (!(noiseStd >= 0))
            throw new ArgumentOutOfRangeException(nameof(noiseStd), $"UpcycleExperts: noiseStd must be >= 0, got {noiseStd}.");
        using var source = LoadExpertShaped(moe, mlpConnectorSafetensors, prefix);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int j = 0; j < moe.Depth; j++)
        {
            var target = moe.ExpertStack.Layers[j];
            target.Weight.copy_(source.Layers[j].Weight.unsqueeze(0).expand_as(target.Weight));
            target.Bias.copy_(source.Layers[j].Bias!.unsqueeze(0).expand_as(target.Bias));
            if (noiseStd > 0)
            {
                target.Weight.add_(randn(target.Weight.shape, dtype: target.Weight.dtype, device: target.Weight.device, generator: generator) * noiseStd);
                target.Bias.add_(randn(target.Bias.shape, dtype: target.Bias.dtype, device: target.Bias.device, generator: generator) * noiseStd);
            }
        }
    }

    /// <summary>ChartMoE's initialisation: expert <c>i</c> becomes a copy of the MLP connector in checkpoint <c>i</c>
    /// (connectors trained on different alignment tasks); the router is left as it is.</summary>
    /// <param name="moe">The MoE connector.</param>
    /// <param name="mlpConnectorSafetensors">One checkpoint per expert, in expert order.</param>
    /// <param name="prefix">The connectors' prefix in those checkpoints, or null.</param>
    /// <exception cref="ArgumentException">The number of checkpoints is not the number of experts.</exception>
    /// <exception cref="CheckpointException">A checkpoint is not an MLP connector of the experts' shape (nothing is copied then).</exception>
    public static void ExpertsFrom(MoeConnector moe, IReadOnlyList<string> mlpConnectorSafetensors, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(moe);
        ArgumentNullException.ThrowIfNull(mlpConnectorSafetensors);
        if (mlpConnectorSafetensors.Count != moe.Experts)
            throw new ArgumentException($"ExpertsFrom: {mlpConnectorSafetensors.Count} checkpoints for a MoE connector '{moe.Name}' of " +
                                        $"{moe.Experts} experts; give exactly one checkpoint per expert.", nameof(mlpConnectorSafetensors));
        var sources = new List<MlpConnector>();
        try
        {
            // Load (and check) every checkpoint before copying any, so a bad one leaves the experts unchanged.
            foreach (var path in mlpConnectorSafetensors)
                sources.Add(LoadExpertShaped(moe, path, prefix));
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            for (int e = 0; e < moe.Experts; e++)
                for (int j = 0; j < moe.Depth; j++)
                {
                    moe.ExpertStack.Layers[j].Weight[e].copy_(sources[e].Layers[j].Weight);
                    moe.ExpertStack.Layers[j].Bias[e].copy_(sources[e].Layers[j].Bias!);
                }
        }
        finally
        {
            foreach (var source in sources)
                source.Dispose();
        }
    }

    /// <summary>The key map of <see cref="LoadWeights"/>: strip the prefix (skip names outside it), then map LLaVA's
    /// Sequential indices and bare <c>weight</c>/<c>bias</c> to <c>linear_j</c>.</summary>
    internal static Func<string, string?> KeyMap(string? prefix) => name =>
    {
        if (prefix is not null && !name.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        var rest = prefix is null ? name : name[prefix.Length..];
        if (rest is "weight" or "bias")
            return "linear_1." + rest;
        var match = SequentialIndex.Match(rest);
        if (match.Success && int.TryParse(match.Groups[1].Value, out int index) && index % 2 == 0)
            return $"linear_{index / 2 + 1}.{match.Groups[2].Value}";
        return rest;
    };

    private static bool IsAdapterKey(string key) => key.StartsWith("adapters.", StringComparison.Ordinal) || key.Contains(".adapters.", StringComparison.Ordinal);

    /// <summary>An MLP connector shaped like one expert (parameters in the experts' dtype, on the CPU), loaded strictly.</summary>
    private static MlpConnector LoadExpertShaped(MoeConnector moe, string path, string? prefix)
    {
        var expert = moe.ExpertStack.Layers[0].Weight;
        var source = new MlpConnector(moe.InFeatures, moe.OutFeatures, moe.Depth, moe.Activation, expert.dtype) { Name = $"{moe.Name} expert source" };
        try
        {
            LoadWeights(source, path, prefix);
            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }
}
