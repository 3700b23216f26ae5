using MMAdapt.Adapters.Common;
using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Sublayers;

/// <summary>How a sublayer adapter joins the frozen block it wraps, and which blocks get one.</summary>
public enum SublayerPlacement
{
    /// <summary>Houlsby et al. (2019): in sequence after both the attention and the MLP block, <c>out + f(out)</c>.</summary>
    Houlsby,
    /// <summary>Pfeiffer et al. (2020): in sequence after the MLP block only, <c>out + f(out)</c>.</summary>
    Pfeiffer,
    /// <summary>He et al. (2022): beside the block, reading its input, <c>out + s·f(input)</c>; the MLP block by
    /// default (their best variant), or the blocks that <c>sublayers</c> names.</summary>
    Parallel,
}

/// <summary>A resolved placement: whether the adapter reads the block's input (parallel) or its output
/// (sequential), and which blocks of each layer get one.</summary>
/// <param name="Parallel">True: <c>out + f(input)</c>; false: <c>out + f(out)</c>.</param>
/// <param name="Kinds">The blocks (attention, MLP) of each layer that get an adapter.</param>
public sealed record ResolvedPlacement(bool Parallel, IReadOnlyList<SublayerKind> Kinds);

/// <summary>The placement table: option names and the blocks each placement implies.</summary>
public static class SublayerPlacements
{
    private static readonly OptionTable<SublayerPlacement> Table = new("placement",
        ("houlsby", SublayerPlacement.Houlsby), ("pfeiffer", SublayerPlacement.Pfeiffer), ("parallel", SublayerPlacement.Parallel));

    private static readonly OptionTable<SublayerKind> Sublayers = new("sublayer", ("attention", SublayerKind.Attention), ("mlp", SublayerKind.Mlp));

    /// <summary>Resolves <c>placement</c> and <c>sublayers</c> option values.</summary>
    /// <param name="placement"><c>houlsby</c>, <c>pfeiffer</c> or <c>parallel</c> (case-insensitive).</param>
    /// <param name="sublayers">For <c>parallel</c>: <c>attention</c> and/or <c>mlp</c> (null: <c>mlp</c>). Houlsby and
    /// Pfeiffer fix their blocks; a list that contradicts them is refused rather than ignored.</param>
    /// <param name="source">What the values came from, for messages.</param>
    /// <exception cref="InvalidDataException">An unknown name, an empty or repeated list, or a list that contradicts the placement.</exception>
    public static ResolvedPlacement Resolve(string? placement, IReadOnlyList<string>? sublayers, string source)
    {
        var kind = Table.Parse(placement, source);
        IReadOnlyList<SublayerKind> implied = kind switch
        {
            SublayerPlacement.Houlsby => [SublayerKind.Attention, SublayerKind.Mlp],
            _ => [SublayerKind.Mlp],
        };
        if (sublayers is null)
            return new ResolvedPlacement(kind == SublayerPlacement.Parallel, implied);
        var chosen = ParseSublayers(sublayers, source);
        if (kind != SublayerPlacement.Parallel && !chosen.Order().SequenceEqual(implied.Order()))
            throw new InvalidDataException($"{source}: sublayers [{string.Join(", ", sublayers)}] contradict placement '{Table.NameOf(kind)}', " +
                                           $"which always wraps [{string.Join(", ", implied.Select(Sublayers.NameOf))}]; use placement 'parallel' to choose the blocks.");
        return new ResolvedPlacement(kind == SublayerPlacement.Parallel, chosen);
    }

    /// <summary>Resolves a list of block names (<c>attention</c>, <c>mlp</c>; case-insensitive).</summary>
    /// <exception cref="InvalidDataException">The list is empty, repeats a block or names an unknown one.</exception>
    public static IReadOnlyList<SublayerKind> ParseSublayers(IReadOnlyList<string> names, string source) =>
        Sublayers.ParseList(names, source, "sublayers");
}
