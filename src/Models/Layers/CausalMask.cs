using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Models.Layers;

/// <summary>
/// Builds the additive attention mask of a causal decoder: query <c>i</c> (absolute position
/// <c>past + i</c>) sees key <c>j</c> when <c>j ≤ past + i</c> and key <c>j</c> is not padding.
/// </summary>
/// <remarks>
/// Blocked entries get the dtype's most negative finite value rather than -inf, so that the query rows
/// of left padding (which see nothing) give a harmless uniform softmax instead of NaN.
/// </remarks>
public static class CausalMask
{
    /// <summary>Returns null when plain causal attention suffices (no padding), else <c>[batch, 1, queries, keys]</c>.</summary>
    /// <param name="attentionMask"><c>[batch, past + queries]</c>, 1 for real tokens; null for none.</param>
    /// <param name="queries">New tokens in this call.</param>
    /// <param name="past">Tokens already in the KV cache.</param>
    /// <param name="dtype">The dtype of the attention scores.</param>
    /// <param name="device">Where to build the mask.</param>
    public static Tensor? Build(Tensor? attentionMask, long queries, long past, ScalarType dtype, Device device)
    {
        if (attentionMask is null)
            return null;
        long keys = attentionMask.shape[1];
        if (keys != past + queries)
            throw new ArgumentException($"attention mask covers {keys} tokens, expected {past} cached + {queries} new = {past + queries}.");
        using var scope = NewDisposeScope();
        var queryPositions = arange(past, past + queries, device: device).unsqueeze(1); // [queries, 1]
        var keyPositions = arange(0, keys, device: device).unsqueeze(0);                 // [1, keys]
        var causal = keyPositions <= queryPositions;                                     // [queries, keys]
        var notPadding = attentionMask.to(device).to(ScalarType.Bool).unsqueeze(1).unsqueeze(1); // [batch, 1, 1, keys]
        var allowed = causal.unsqueeze(0).unsqueeze(0).logical_and(notPadding);           // [batch, 1, queries, keys]
        var blocked = MostNegative(dtype);
        var mask = zeros(allowed.shape, dtype: dtype, device: device).masked_fill(allowed.logical_not(), blocked);
        return mask.MoveToOuterDisposeScope();
    }

    /// <summary>Positions of new tokens from a padding mask: padding does not count, so a left-padded
    /// prompt gets the same positions as the unpadded one. Returns <c>[batch, queries]</c> int64.</summary>
    public static Tensor PositionsFromMask(Tensor attentionMask, long queries)
    {
        using var scope = NewDisposeScope();
        var positions = attentionMask.to(ScalarType.Int64).cumsum(-1) - 1;
        positions = positions.clamp_min(0);
        long keys = attentionMask.shape[1];
        return positions.narrow(1, keys - queries, queries).contiguous().MoveToOuterDisposeScope();
    }

    private static double MostNegative(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => -65504.0,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        ScalarType.Float32 => float.MinValue,
        _ => double.MinValue,
    };
}
