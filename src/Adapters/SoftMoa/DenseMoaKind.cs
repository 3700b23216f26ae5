using System.Text.Json.Nodes;
using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Persistence;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.SoftMoa;

/// <summary>Saves and rebuilds <see cref="DenseMixtureOfAdapters"/> (kind <c>dense_moa</c>, in sublayer sites): settings
/// <c>experts</c>, <c>bottleneck</c>, <c>activation</c>, <c>scaling</c>, <c>parallel</c> (<see cref="DenseMoaSettings"/>);
/// width, dtype and device are the site's.</summary>
internal sealed class DenseMoaKind : AdapterKind<DenseMixtureOfAdapters>
{
    /// <inheritdoc />
    public override string Kind => "dense_moa";

    /// <inheritdoc />
    protected override JsonObject Describe(DenseMixtureOfAdapters adapter)
    {
        var s = adapter.Settings;
        return new JsonObject
        {
            ["experts"] = s.Experts, ["bottleneck"] = s.Bottleneck, ["activation"] = AdapterActivations.NameOf(s.Activation),
            ["scaling"] = s.Scaling, ["parallel"] = s.Parallel,
        };
    }

    /// <inheritdoc />
    public override nn.Module Create(JsonObject settings, AdapterPlacement placement, string source)
    {
        var site = placement.RequireSite(Kind, source);
        var read = new SettingsReader(settings, Kind, source, "experts", "bottleneck", "activation", "scaling", "parallel");
        var built = new DenseMoaSettings(read.Long("experts"), read.Long("bottleneck"), read.Activation("activation"), read.Double("scaling"), read.Bool("parallel"));
        return new DenseMixtureOfAdapters(site.Hidden, built, site.Dtype, site.Device);
    }
}
