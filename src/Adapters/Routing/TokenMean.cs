using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>Means and sums over real tokens: rows where the token mask is 0 (padding) do not count.</summary>
internal static class TokenMean
{
    /// <summary>Per-token weights <c>[N, 1]</c> (1 real, 0 padding) in the dtype of <paramref name="like"/>, or null
    /// when there is no mask.</summary>
    public static Tensor? Weights(Tensor? tokenMask, Tensor like)
    {
        if (tokenMask is null)
            return null;
        long tokens = like.shape[0];
        if (tokenMask.numel() != tokens)
            throw new ArgumentException($"token mask must have one value per token ({tokens}), got [{string.Join(", ", tokenMask.shape)}].", nameof(tokenMask));
        return tokenMask.reshape(tokens, 1).to(like.dtype);
    }

    /// <summary>Sum over real tokens of <paramref name="values"/> <c>[N, E]</c> → <c>[E]</c>.</summary>
    public static Tensor Sum(Tensor values, Tensor? tokenMask) =>
        Weights(tokenMask, values) is { } w ? (values * w).sum(dim: 0) : values.sum(dim: 0);

    /// <summary>Mean over real tokens of <paramref name="values"/> <c>[N, E]</c> → <c>[E]</c> (0 when no token is real).</summary>
    public static Tensor Of(Tensor values, Tensor? tokenMask) =>
        Weights(tokenMask, values) is { } w ? (values * w).sum(dim: 0) / w.sum().clamp_min(1) : values.mean([0L]);

    /// <summary>Mean over real tokens of per-token values <c>[N]</c> → scalar.</summary>
    public static Tensor OfTokens(Tensor perToken, Tensor? tokenMask) => Of(perToken.unsqueeze(1), tokenMask).squeeze(0);
}
