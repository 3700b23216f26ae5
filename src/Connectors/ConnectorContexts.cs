using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>
/// The contexts a connector hands to its inner projections, whose tokens are not always the input's (a resampler's
/// queries, folded windows, stacked frames): the sink, training flag and (while the batch is unchanged) the sample keys
/// go through; the mask is the one that fits those tokens; token modalities do not (every token is media).
/// </summary>
internal static class ConnectorContexts
{
    /// <summary>A context for projections over tokens described by <paramref name="mask"/> (null: all real), or null
    /// when the caller gave none.</summary>
    /// <param name="context">The connector's context.</param>
    /// <param name="mask">The mask of the projection's tokens <c>[batch', tokens']</c>, or null.</param>
    /// <param name="sameBatch">False when the batch was folded (windows): sample keys then no longer fit.</param>
    public static ForwardContext? For(ForwardContext? context, Tensor? mask, bool sameBatch) => context is null ? null : new ForwardContext
    {
        AttentionMask = mask,
        Sink = context.Sink,
        Training = context.Training,
        SampleKeys = sameBatch ? context.SampleKeys : new Dictionary<string, Tensor>(),
    };

    /// <summary>Pads a bool mask <c>[batch, tokens]</c> with <paramref name="pad"/> false columns.</summary>
    public static Tensor PadMask(Tensor mask, long pad) =>
        pad == 0 ? mask.alias() : nn.functional.pad(mask.to(ScalarType.Int8), [0, pad]).to(ScalarType.Bool);

    /// <summary>The number of groups of <paramref name="size"/> tokens that cover <paramref name="tokens"/> (the last
    /// group padded): <c>ceil(tokens / size)</c>.</summary>
    public static long Groups(long tokens, int size) => (tokens + size - 1) / size;
}
