using MMAdapt.Connectors;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Connectors;

/// <summary>One row per connector configuration, shared by the table-driven tests.</summary>
internal static class ConnectorCases
{
    /// <summary>Encoder width of every case.</summary>
    public const long In = 12;

    /// <summary>LLM width of every case.</summary>
    public const long Out = 16;

    private static readonly Dictionary<string, ConnectorOptions> Rows = new()
    {
        ["linear"] = new LinearConnectorOptions(),
        ["mlp2x_gelu"] = new MlpConnectorOptions(),
        ["mlp3x_silu"] = new MlpConnectorOptions { Depth = 3, Activation = "silu" },
        ["resampler"] = new ResamplerOptions { Queries = 5, Heads = 4 },
        ["resampler_narrow_cross_only"] = new ResamplerOptions { Queries = 3, Layers = 1, Heads = 2, HiddenSize = 8, SelfAttention = false },
        ["window_resampler"] = new WindowResamplerOptions { Window = 4, Heads = 4 },
        ["window_resampler_2_queries"] = new WindowResamplerOptions { Window = 3, Queries = 2, Layers = 1, Heads = 2, SelfAttention = true },
        ["downsample_stack"] = new DownsampleOptions { Mode = "stack", Factor = 2 },
        ["downsample_avg_mlp"] = new DownsampleOptions { Mode = "avg", Factor = 3, Depth = 2 },
        ["moe"] = new MoeConnectorOptions { AuxLosses = ["load_balance:coef=0.01", "z_loss:coef=0.001"] },
        ["moe_top1_depth3"] = new MoeConnectorOptions { Experts = 3, TopK = 1, Depth = 3 },
        ["moe_dense_linear_experts"] = new MoeConnectorOptions { Experts = 3, Depth = 1, Strategy = "dense" },
    };

    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in Rows.Keys)
                data.Add(name);
            return data;
        }
    }

    public static ConnectorOptions Options(string name) => Rows[name];

    /// <summary>The connector of a row, seeded.</summary>
    public static Connector Create(string name, int seed = 0) =>
        ConnectorFactory.Create(Rows[name], In, Out, generator: new Generator((ulong)seed + 1));

    /// <summary>Random features <c>[batch, tokens, In]</c>.</summary>
    public static Tensor Features(long batch, long tokens, int seed) => randn([batch, tokens, In], generator: new Generator((ulong)seed + 1000));
}
