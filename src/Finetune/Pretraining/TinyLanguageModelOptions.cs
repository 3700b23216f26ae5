namespace MMAdapt.Finetune.Pretraining;

/// <summary>Sizes and training settings of the repository's tiny demo language model.</summary>
/// <remarks>Defaults give about 110k parameters that reach a loss near the corpus entropy in ~400 steps
/// (about a minute on 2 CPU cores).</remarks>
public sealed record TinyLanguageModelOptions
{
    /// <summary>Seed of the corpus, the initial weights and the batch order.</summary>
    public int Seed { get; init; }
    /// <summary>Optimiser steps.</summary>
    public int Steps { get; init; } = 400;
    /// <summary>Sentences in the corpus.</summary>
    public int Sentences { get; init; } = 4000;
    /// <summary>Tokenizer vocabulary size (bytes + merges + special tokens).</summary>
    public int VocabSize { get; init; } = 384;
    /// <summary>Residual width.</summary>
    public int HiddenSize { get; init; } = 64;
    /// <summary>Decoder layers.</summary>
    public int Layers { get; init; } = 2;
    /// <summary>Query heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Key/value heads (grouped-query attention).</summary>
    public int KeyValueHeads { get; init; } = 2;
    /// <summary>SwiGLU width.</summary>
    public int IntermediateSize { get; init; } = 176;
    /// <summary>Tokens per training window.</summary>
    public int SequenceLength { get; init; } = 48;
    /// <summary>Windows per step.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Peak AdamW learning rate (cosine decay to 10%).</summary>
    public double LearningRate { get; init; } = 3e-3;
    /// <summary>Windows start at a document's BOS (a whole conversation per window) rather than anywhere in the stream.</summary>
    public bool AlignToDocuments { get; init; }

    /// <summary>The quickstart's conversation model (<see cref="TinyLanguageModelPretrainer.PretrainOnConversations"/>):
    /// about 0.78M parameters (SwiGLU width 8/3 of the residual), whole conversations per window; about 15 minutes on one core.</summary>
    public static TinyLanguageModelOptions Conversations { get; } = new()
    {
        Steps = 3000, Sentences = 12000, VocabSize = 512, HiddenSize = 128, Layers = 4, Heads = 4, KeyValueHeads = 2,
        IntermediateSize = 341, SequenceLength = 96, BatchSize = 32, LearningRate = 2e-3, AlignToDocuments = true,
    };
}
