using MMAdapt.Adapters.Routing;
using MMAdapt.Connectors;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;

namespace MMAdapt.Finetune.Multimodal;

public sealed partial class MultimodalModel
{
    /// <summary>
    /// Loads a model from checkpoint folders with fresh connectors and no adapters: the code-first way in (a notebook),
    /// built exactly as a recipe with the same <c>model</c> and <c>connectors</c> sections would be.
    /// </summary>
    /// <param name="parts">The LLM folder and, optionally, the vision and audio tower folders with their settings.</param>
    /// <param name="imageConnector">The image connector (default: LLaVA-1.5's <c>mlp2x_gelu</c>); ignored without a vision tower.</param>
    /// <param name="audioConnector">The audio connector (default: <c>mlp2x_gelu</c>); ignored without an audio tower.</param>
    /// <param name="seed">Seed of the connectors' initial weights.</param>
    /// <param name="maxSeqLen">Longest tokenised conversation (longer ones are dropped with a warning).</param>
    /// <param name="device"><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="dtype"><c>fp32</c>, <c>bf16</c> or <c>fp16</c> for the frozen weights (adapters and connectors train in fp32).</param>
    /// <param name="statistics">Where MoE connectors record routing statistics, or null.</param>
    /// <exception cref="FileNotFoundException">A folder lacks its config or weights (named).</exception>
    public static MultimodalModel Load(ModelSection parts, ConnectorOptions? imageConnector = null, ConnectorOptions? audioConnector = null,
        long seed = 0, int maxSeqLen = 512, string device = "auto", string dtype = "fp32", RoutingStatistics? statistics = null)
    {
        var connectors = new Dictionary<string, System.Text.Json.Nodes.JsonObject>();
        if (parts.Vision is not null)
            connectors["image"] = ConnectorFactory.Write(imageConnector ?? new MlpConnectorOptions());
        if (parts.Audio is not null)
            connectors["audio"] = ConnectorFactory.Write(audioConnector ?? new MlpConnectorOptions());
        var recipe = new Recipe
        {
            Name = "code",
            Seed = seed,
            Device = device,
            Dtype = dtype,
            Model = parts,
            Connectors = connectors,
            Data = new DataSection { MaxSeqLen = maxSeqLen },
        };
        return RecipeModelBuilder.Build(recipe, loadWeights: true, statistics);
    }
}
