using MMAdapt.Adapters.Sublayers;
using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Persistence;

/// <summary>
/// Where a saved adapter is rebuilt: on a projection (its host; <c>"placement": "projection"</c>) or in a sublayer site
/// (<c>"placement": "site"</c>, sized as the attachers size it: the layer's width, its projections' dtype and device).
/// Exactly one of the two is set.
/// </summary>
/// <param name="Host">The projection, for projection adapters.</param>
/// <param name="Site">The site, for sublayer adapters.</param>
public sealed record AdapterPlacement(IAdapterHost? Host, SublayerTarget? Site)
{
    /// <summary>The linear projection a kind that sits on one is rebuilt on.</summary>
    /// <param name="kind">The kind, for the message.</param>
    /// <param name="source">The file and entry, for the message.</param>
    /// <exception cref="InvalidDataException">The entry places the adapter in a sublayer site or on an embedding.</exception>
    public AdaptableLinear RequireLinear(string kind, string source) => Host switch
    {
        AdaptableLinear linear => linear,
        null => throw new InvalidDataException($"{source}: kind '{kind}' sits on a linear projection (placement 'projection'), not in a sublayer site."),
        _ => throw new InvalidDataException($"{source}: kind '{kind}' sits on a linear projection, not on an embedding."),
    };

    /// <summary>The sublayer site a kind that sits in one is rebuilt in.</summary>
    /// <param name="kind">The kind, for the message.</param>
    /// <param name="source">The file and entry, for the message.</param>
    /// <exception cref="InvalidDataException">The entry places the adapter on a projection.</exception>
    public SublayerTarget RequireSite(string kind, string source) =>
        Site ?? throw new InvalidDataException($"{source}: kind '{kind}' sits in a sublayer site (placement 'site'), not on a projection.");
}
