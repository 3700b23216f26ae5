using System.Text.Json.Nodes;
using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Persistence;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.SoftMoa;

/// <summary>Saves and rebuilds <see cref="SoftMixtureOfAdapters"/> (kind <c>soft_moa</c>, in sublayer sites of
/// bidirectional stacks): settings <c>experts</c>, <c>slots</c>, <c>bottleneck</c>, <c>activation</c>, <c>scaling</c>,
/// <c>normalize</c>, <c>parallel</c> (<see cref="SoftMoaSettings"/>); width, dtype and device are the site's.</summary>
internal sealed class SoftMoaKind : AdapterKind<SoftMixtureOfAdapters>
{
    /// <inheritdoc />
    public override string Kind => "soft_moa";

    /// <inheritdoc />
    protected override JsonObject Describe(SoftMixtureOfAdapters adapter)
    {
        var s = adapter.Settings;
        return new JsonObject
        {
            ["experts"] = s.Experts, ["slots"] = s.Slots, ["bottleneck"] = s.Bottleneck,
            ["activation"] = AdapterActivations.NameOf(s.Activation), ["scaling"] = s.Scaling,
            ["normalize"] = s.Normalize, ["parallel"] = s.Parallel,
        };
    }

    /// <inheritdoc />
    public override nn.Module Create(JsonObject settings, AdapterPlacement placement, string source)
    {
        var site = placement.RequireSite(Kind, source);
        var read = new SettingsReader(settings, Kind, source, "experts", "slots", "bottleneck", "activation", "scaling", "normalize", "parallel");
        var built = new SoftMoaSettings(read.Long("experts"), read.Long("slots"), read.Long("bottleneck"), read.Activation("activation"),
                                        read.Double("scaling"), read.Bool("normalize"), read.Bool("parallel"));
        return new SoftMixtureOfAdapters(site.Hidden, built, site.Dtype, site.Device);
    }
}
