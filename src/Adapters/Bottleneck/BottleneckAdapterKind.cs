using System.Text.Json.Nodes;
using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Persistence;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Bottleneck;

/// <summary>Saves and rebuilds <see cref="BottleneckAdapter"/>s (kind <c>bottleneck_adapter</c>, in sublayer sites, every
/// placement): settings <c>bottleneck</c>, <c>activation</c>, <c>scaling</c>, <c>parallel</c>
/// (<see cref="BottleneckSettings"/>); width, dtype and device are the site's.</summary>
internal sealed class BottleneckAdapterKind : AdapterKind<BottleneckAdapter>
{
    /// <inheritdoc />
    public override string Kind => "bottleneck_adapter";

    /// <inheritdoc />
    protected override JsonObject Describe(BottleneckAdapter adapter) => new()
    {
        ["bottleneck"] = adapter.Settings.Bottleneck,
        ["activation"] = AdapterActivations.NameOf(adapter.Settings.Activation),
        ["scaling"] = adapter.Settings.Scaling,
        ["parallel"] = adapter.Settings.Parallel,
    };

    /// <inheritdoc />
    public override nn.Module Create(JsonObject settings, AdapterPlacement placement, string source)
    {
        var site = placement.RequireSite(Kind, source);
        var read = new SettingsReader(settings, Kind, source, "bottleneck", "activation", "scaling", "parallel");
        var built = new BottleneckSettings(read.Long("bottleneck"), read.Activation("activation"), read.Double("scaling"), read.Bool("parallel"));
        return new BottleneckAdapter(site.Hidden, built, site.Dtype, site.Device);
    }
}
