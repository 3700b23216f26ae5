using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Lora;

/// <summary>
/// LoRA on a token embedding, as PEFT does it: <c>E' = E + s · (B A)ᵀ</c> looked up by id, with
/// <c>lora_embedding_A</c> [r, vocab] zero and <c>lora_embedding_B</c> [hidden, r] normal at initialisation
/// (the reverse of linear LoRA: a zero A keeps the lookup an identity).
/// </summary>
public sealed class LoraEmbedding : ProjectionAdapter
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter lora_embedding_A, lora_embedding_B;
#pragma warning restore IDE1006

    /// <summary>Creates the adapter.</summary>
    public LoraEmbedding(long vocabularySize, long hiddenSize, int rank, double scale, LoraInit init = LoraInit.Kaiming,
        ScalarType dtype = ScalarType.Float32, Device? device = null, Generator? generator = null) : base(nameof(LoraEmbedding))
    {
        if (rank <= 0)
            throw new ArgumentOutOfRangeException(nameof(rank), $"LoRA rank must be positive, got {rank}.");
        Rank = rank;
        Scale = scale;
        lora_embedding_A = new Parameter(zeros(rank, vocabularySize, dtype: dtype, device: device));
        lora_embedding_B = new Parameter(empty(hiddenSize, rank, dtype: dtype, device: device));
        using (no_grad())
        {
            lora_embedding_B.normal_(0, 1, generator);
            if (init == LoraInit.Random)
                lora_embedding_A.normal_(0, 1, generator);
        }
        RegisterComponents();
    }

    /// <summary>r.</summary>
    public int Rank { get; }

    /// <summary>s.</summary>
    public double Scale { get; }

    /// <inheritdoc />
    protected override void OnAttached(IAdapterHost host)
    {
        if (!host.IsEmbedding)
            throw new ArgumentException("LoraEmbedding attaches to embeddings; use LoraLinear for linear projections.");
        if (host.Weight.shape[0] != lora_embedding_A.shape[1] || host.Weight.shape[1] != lora_embedding_B.shape[0])
            throw new ArgumentException($"LoRA for a [{lora_embedding_A.shape[1]}, {lora_embedding_B.shape[0]}] table does not fit an embedding " +
                                        $"of shape [{host.Weight.shape[0]}, {host.Weight.shape[1]}].");
    }

    /// <inheritdoc />
    public override Tensor Apply(Tensor input, Tensor baseOutput, ForwardContext? context)
    {
        using var scope = NewDisposeScope();
        var rows = lora_embedding_A.t().index_select(0, input.reshape(-1)).view([.. input.shape, Rank]); // [..., r]
        var delta = rows.matmul(lora_embedding_B.t()) * Scale;                                            // [..., hidden]
        return (baseOutput + delta.to(baseOutput.dtype)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override bool CanMerge => true;

    /// <inheritdoc />
    public override Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        return (lora_embedding_B.matmul(lora_embedding_A).t() * Scale).contiguous().MoveToOuterDisposeScope(); // [vocab, hidden]
    }
}
