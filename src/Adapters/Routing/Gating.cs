using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>Tensor building blocks shared by the strategies (no host synchronisation anywhere).</summary>
internal static class Gating
{
    /// <summary>A float 0/1 mask shaped like <paramref name="like"/> <c>[N, E]</c> with ones at
    /// <paramref name="indices"/> <c>[N, k]</c> along the expert dimension.</summary>
    public static Tensor MaskAt(Tensor like, Tensor indices)
    {
        using var ones = ones_like(indices, dtype: like.dtype);
        return zeros_like(like).scatter(1, indices, ones);
    }

    /// <summary>The 0/1 mask of each row's <paramref name="k"/> largest <paramref name="scores"/>.</summary>
    public static Tensor TopKMask(Tensor scores, int k)
    {
        var (values, indices) = scores.topk(k, dim: 1);
        using (values)
        using (indices)
            return MaskAt(scores, indices);
    }

    /// <summary>Divides each row by its sum (rows sum to 1 afterwards; every row must have a positive sum).</summary>
    public static Tensor Renormalize(Tensor gates) => gates / gates.sum(1, keepdim: true);

    /// <summary>Softmax over each row's selected entries only; exactly zero elsewhere (Mixtral, Shazeer).</summary>
    public static Tensor SoftmaxOver(Tensor scores, Tensor selected) =>
        scores.masked_fill(selected.eq(0), double.NegativeInfinity).softmax(1);

    /// <summary>Checks a top-k size against the expert count, naming both.</summary>
    public static void CheckK(string strategy, int k, int experts)
    {
        if (experts < 1)
            throw new ArgumentException($"{strategy}: the number of experts must be at least 1, got {experts}.", nameof(experts));
        if (k < 1 || k > experts)
            throw new ArgumentException($"{strategy}: k = {k} must be between 1 and the number of experts E = {experts}.", nameof(k));
    }
}
