namespace MMAdapt.Finetune.Recipes;

/// <summary>What happens to a sample longer than <see cref="DataSection.MaxSeqLen"/> (<c>data.on_truncate</c>).</summary>
public enum TruncationPolicy
{
    /// <summary><c>drop</c>: the sample is skipped and counted in the run's report.</summary>
    Drop,

    /// <summary><c>error</c>: the run stops, naming the dataset row.</summary>
    Error,
}
