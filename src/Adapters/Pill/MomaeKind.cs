using System.Text.Json.Nodes;
using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Persistence;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Pill;

/// <summary>Saves and rebuilds <see cref="ModalityAdapterExperts"/> (PILL's MoMAE; kind <c>momae</c>, in sublayer sites):
/// settings <c>bottleneck</c>, <c>modalities</c> (names, in expert order), <c>gate_activation</c>
/// (<see cref="MomaeSettings"/>); width, dtype and device are the site's.</summary>
internal sealed class MomaeKind : AdapterKind<ModalityAdapterExperts>
{
    /// <inheritdoc />
    public override string Kind => "momae";

    /// <inheritdoc />
    protected override JsonObject Describe(ModalityAdapterExperts adapter) => new()
    {
        ["bottleneck"] = adapter.Settings.Bottleneck,
        ["modalities"] = ModalityNames.Json(adapter.Settings.Modalities),
        ["gate_activation"] = AdapterActivations.NameOf(adapter.Settings.GateActivation),
    };

    /// <inheritdoc />
    public override nn.Module Create(JsonObject settings, AdapterPlacement placement, string source)
    {
        var site = placement.RequireSite(Kind, source);
        var read = new SettingsReader(settings, Kind, source, "bottleneck", "modalities", "gate_activation");
        var built = new MomaeSettings(read.Long("bottleneck"), read.Names("modalities", ModalityNames.Parse),
                                      read.Activation("gate_activation"));
        return new ModalityAdapterExperts(site.Hidden, built, site.Dtype, site.Device);
    }
}
