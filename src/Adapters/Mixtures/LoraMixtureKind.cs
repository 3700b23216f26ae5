using System.Text.Json.Nodes;
using MMAdapt.Adapters.Persistence;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Mixtures;

/// <summary>Saves and rebuilds <see cref="LoraMixture"/>s (kind <c>lora_mixture</c>, on linear projections): the settings
/// are the <see cref="MixtureOptions"/> as <see cref="MixtureOptionsJson"/> writes them; widths, dtype and device are the
/// projection's.</summary>
internal sealed class LoraMixtureKind : AdapterKind<LoraMixture>
{
    /// <inheritdoc />
    public override string Kind => "lora_mixture";

    /// <inheritdoc />
    protected override JsonObject Describe(LoraMixture adapter) => MixtureOptionsJson.Write(adapter.Options);

    /// <inheritdoc />
    public override nn.Module Create(JsonObject settings, AdapterPlacement placement, string source)
    {
        var host = placement.RequireLinear(Kind, source);
        return new LoraMixture(host.InFeatures, host.OutFeatures, MixtureOptionsJson.Read(settings, source), AdapterAttacher.AdapterDtype(host.Weight, null), host.Weight.device);
    }
}
