using MMAdapt.Finetune.Training;
using MMAdapt.Finetune.Multimodal;
namespace MMAdapt.Finetune.Recipes;

/// <summary><c>data</c>: the datasets and how their samples become token sequences.</summary>
public sealed record DataSection
{
    /// <summary><c>data.train</c>: the training set. Required.</summary>
    public DatasetSpec Train { get; init; } = new();

    /// <summary><c>data.eval</c>: the evaluation set; null (the default): no evaluation.</summary>
    public DatasetSpec? Eval { get; init; }

    /// <summary><c>data.synth</c>: generate the synthetic shapes dataset into the folder of <c>data.train.path</c>
    /// when its files are missing; null (the default): the files must exist.</summary>
    public SynthSpec? Synth { get; init; }

    /// <summary><c>max_seq_len</c>: the longest token sequence, placeholders expanded (default 512).</summary>
    public int MaxSeqLen { get; init; } = 512;

    /// <summary><c>loss_on</c>: <c>assistant</c> (the default) or <c>all</c>.</summary>
    public LossTokens LossOn { get; init; } = LossTokens.Assistant;

    /// <summary><c>on_truncate</c>: a sample longer than <see cref="MaxSeqLen"/> is <c>drop</c>ped (the default) or an
    /// <c>error</c>.</summary>
    public TruncationPolicy OnTruncate { get; init; } = TruncationPolicy.Drop;
}

/// <summary><c>data.train</c> or <c>data.eval</c>: one dataset file.</summary>
public sealed record DatasetSpec
{
    /// <summary><c>path</c>: the dataset file (JSON lines). Required.</summary>
    public string Path { get; init; } = "";

    /// <summary><c>format</c>: the row layout, decided by the dataset reader; <c>auto</c> (the default) recognises it.</summary>
    public string Format { get; init; } = "auto";

    /// <summary><c>max_samples</c>: read at most this many rows; null (the default): all.</summary>
    public int? MaxSamples { get; init; }
}

/// <summary><c>data.synth</c>: the synthetic dataset generated when the dataset files are missing.</summary>
public sealed record SynthSpec
{
    /// <summary><c>seed</c>: the generator's seed (default 0); the same seed writes the same files.</summary>
    public long Seed { get; init; }

    /// <summary><c>count</c>: training samples (default 400).</summary>
    public int Count { get; init; } = 400;

    /// <summary><c>test_count</c>: held-out samples (default 64).</summary>
    public int TestCount { get; init; } = 64;
}
