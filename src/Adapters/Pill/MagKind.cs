using System.Text.Json.Nodes;
using MMAdapt.Adapters.Persistence;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Pill;

/// <summary>Saves and rebuilds <see cref="ModalityAttentionGate"/>s (PILL's MAG; kind <c>mag</c>, on value projections):
/// settings <c>heads</c>, <c>modalities</c>, <c>residual</c> (<see cref="MagSettings"/>) and the gate's current
/// <c>enabled</c> (absent: true); input width, dtype and device are the projection's.</summary>
internal sealed class MagKind : AdapterKind<ModalityAttentionGate>
{
    /// <inheritdoc />
    public override string Kind => "mag";

    /// <inheritdoc />
    protected override JsonObject Describe(ModalityAttentionGate adapter) => new()
    {
        ["heads"] = adapter.Settings.Heads,
        ["modalities"] = ModalityNames.Json(adapter.Settings.Modalities),
        ["residual"] = adapter.Settings.Residual,
        ["enabled"] = adapter.Enabled,
    };

    /// <inheritdoc />
    public override nn.Module Create(JsonObject settings, AdapterPlacement placement, string source)
    {
        var host = placement.RequireLinear(Kind, source);
        var read = new SettingsReader(settings, Kind, source, "heads", "modalities", "residual", "enabled");
        var built = new MagSettings(read.Long("heads"), read.Names("modalities", ModalityNames.Parse), read.Bool("residual"));
        return new ModalityAttentionGate(host.InFeatures, built, AdapterAttacher.AdapterDtype(host.Weight, null), host.Weight.device) { Enabled = read.Bool("enabled", true) };
    }
}
