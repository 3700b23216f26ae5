using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>Shazeer et al. (2017)'s squared coefficient of variation: <c>var(x) / (mean(x)² + 1e-10)</c>, unbiased variance.</summary>
internal static class CoefficientOfVariation
{
    /// <summary>CV² of <paramref name="values"/> <c>[E]</c> (E ≥ 2).</summary>
    public static Tensor Squared(Tensor values)
    {
        var mean = values.mean();
        return values.var(unbiased: true) / (mean * mean + 1e-10);
    }

    /// <summary>Throws unless there are at least two experts (the unbiased variance of one value is undefined).</summary>
    public static void CheckExperts(string loss, int experts)
    {
        if (experts < 2)
            throw new ArgumentException($"{loss}: CV² needs at least 2 experts (unbiased variance), got {experts}.", nameof(experts));
    }
}
