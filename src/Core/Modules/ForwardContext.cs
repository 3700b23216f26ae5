using static TorchSharp.torch;

namespace MMAdapt.Core.Modules;

/// <summary>
/// What a forward pass carries besides hidden states, threaded through every decoder (or encoder)
/// layer down to each <see cref="AdaptableLinear"/>, so that adapters can read it without the model
/// code knowing about them.
/// </summary>
/// <remarks>
/// Tensors here describe the tokens of the current call only: during cached generation, each step's
/// context covers the new tokens. The context does not own its tensors.
/// </remarks>
public sealed class ForwardContext
{
    /// <summary>Per-token modality ids <c>[batch, tokens]</c> (int64, values of <see cref="Modality"/>);
    /// null means all text.</summary>
    public Tensor? TokenModality { get; init; }

    /// <summary>Per-token validity <c>[batch, tokens]</c> (1 = real token, 0 = padding); null means no padding.</summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary>Per-sample routing keys by name, each <c>[batch, ...]</c>: an instruction embedding,
    /// a task or cluster id, and so on (read by sample-level routers).</summary>
    public IReadOnlyDictionary<string, Tensor> SampleKeys { get; init; } = new Dictionary<string, Tensor>();

    /// <summary>Where routers and gates put auxiliary losses and routing statistics.</summary>
    public AuxSink Sink { get; init; } = new();

    /// <summary>True in training passes (routers add noise and aux losses only then).</summary>
    public bool Training { get; init; }

    /// <summary>A context for text-only inference: no modality ids, no keys, not training.</summary>
    public static ForwardContext Inference() => new();
}
