using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Routing;

/// <summary>One layer's routing statistics, read to the host by <see cref="RoutingStatistics.Snapshot"/>.</summary>
/// <param name="Layer">The layer (router) name.</param>
/// <param name="Tokens">Real tokens routed since the last reset.</param>
/// <param name="Counts">Tokens each expert received <c>[E]</c>.</param>
/// <param name="LoadShare">Each expert's share of all (token, expert) selections <c>[E]</c> (sums to 1; zeros when none).</param>
/// <param name="MeanProbability">Mean <c>p = softmax(logits)</c> per expert over real tokens <c>[E]</c>.</param>
/// <param name="MeanGate">Mean gate per expert over real tokens <c>[E]</c> (zero where not selected counts as zero).</param>
/// <param name="CountsByModality">Tokens each expert received, per modality <c>[M, E]</c> (rows are <see cref="Modality"/> ids).</param>
/// <param name="TokensByModality">Real tokens per modality <c>[M]</c>.</param>
public sealed record LayerRoutingStats(string Layer, long Tokens, long[] Counts, double[] LoadShare, double[] MeanProbability,
    double[] MeanGate, long[,] CountsByModality, long[] TokensByModality)
{
    /// <summary>Number of experts E.</summary>
    public int Experts => Counts.Length;

    /// <summary>Mean number of experts per real token.</summary>
    public double ExpertsPerToken => Tokens == 0 ? 0 : (double)Counts.Sum() / Tokens;

    /// <summary>The counts <c>[E]</c> of one modality.</summary>
    /// <param name="modality">The modality (its id must be below the number of modalities recorded).</param>
    public long[] CountsFor(Modality modality)
    {
        int row = (int)modality;
        if (row < 0 || row >= CountsByModality.GetLength(0))
            throw new ArgumentOutOfRangeException(nameof(modality), $"{Layer}: modality {modality} ({row}) is not among the {CountsByModality.GetLength(0)} recorded.");
        return Enumerable.Range(0, Experts).Select(e => CountsByModality[row, e]).ToArray();
    }
}
