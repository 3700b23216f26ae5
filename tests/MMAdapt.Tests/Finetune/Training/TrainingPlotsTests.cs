using MMAdapt.Adapters.Routing;
using MMAdapt.Core.Modules;
using MMAdapt.Finetune.Training;
using Xunit;

namespace MMAdapt.Tests.Finetune.Training;

public class TrainingPlotsTests
{
    [Fact]
    public void A_routing_heatmap_has_a_row_per_router_and_is_null_for_a_modality_never_routed()
    {
        int modalities = Enum.GetValues<Modality>().Length;
        var counts = new long[modalities, 4];
        counts[(int)Modality.Image, 2] = 5;
        var layers = Enumerable.Range(0, 30).Select(i => new LayerRoutingStats($"llm.layer{i}", 5, [0, 0, 5, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 1, 0], counts,
            Enumerable.Range(0, modalities).Select(m => m == (int)Modality.Image ? 5L : 0L).ToArray())).ToList();
        var snapshot = new RoutingSnapshot(layers);
        var png = TrainingPlots.RoutingLoad(snapshot, Modality.Image);
        Assert.NotNull(png);
        Assert.Equal((900, 120 + 14 * 30), (png.Width, png.Height));
        Assert.Null(TrainingPlots.RoutingLoad(snapshot, Modality.Audio));
        Assert.Null(TrainingPlots.RoutingLoad(new RoutingSnapshot([]), Modality.Text));
    }
}
