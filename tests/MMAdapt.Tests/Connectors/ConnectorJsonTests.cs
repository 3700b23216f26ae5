using System.Text.Json.Nodes;
using MMAdapt.Adapters.Routing;
using MMAdapt.Connectors;
using Xunit;

namespace MMAdapt.Tests.Connectors;

public class ConnectorJsonTests
{
    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    private static InvalidDataException Refused(string text) =>
        Assert.Throws<InvalidDataException>(() => ConnectorFactory.Parse(Json(text), "recipe.yaml: model.connectors.image"));

    [Theory, MemberData(nameof(ConnectorCases.Names), MemberType = typeof(ConnectorCases))]
    public void Write_then_parse_gives_the_options_back(string name)
    {
        var options = ConnectorCases.Options(name);
        var json = ConnectorFactory.Write(options);
        Assert.Equal(options.Type, json["type"]!.GetValue<string>());
        Assert.Equal(options, ConnectorFactory.Parse(Json(json.ToJsonString()), "test"));
        using var connector = ConnectorCases.Create(name);
        Assert.Equal(options, connector.Options);
    }

    [Fact]
    public void Every_type_is_in_the_table_and_absent_keys_take_defaults()
    {
        Assert.Equal(new[] { "linear", "mlp", "resampler", "window_resampler", "downsample", "moe" }, ConnectorFactory.Types);
        Assert.Equal(new MlpConnectorOptions(), ConnectorFactory.Parse(Json("""{"type": "mlp"}"""), "test"));
        Assert.Equal(new WindowResamplerOptions { Window = 4 }, ConnectorFactory.Parse(Json("""{"type": "window_resampler", "window": 4}"""), "test"));
        Assert.Equal(1, new WindowResamplerOptions().Queries);
        var moe = (MoeConnectorOptions)ConnectorFactory.Parse(Json("""
            {"type": "moe", "experts": 8, "top_k": 1, "aux_losses": ["load_balance:coef=0.01"], "router": {"temperature": 2.0}}
            """), "test");
        Assert.Equal(new MoeConnectorOptions { Experts = 8, TopK = 1, AuxLosses = ["load_balance:coef=0.01"], Router = new RouterOptions { Temperature = 2 } }, moe);
    }

    [Fact]
    public void Options_built_in_code_record_what_they_built()
    {
        using var mlp = new MlpConnector(4, 8, depth: 3);
        Assert.Equal(new MlpConnectorOptions { Depth = 3 }, mlp.Options);
        using var window = new WindowResamplerConnector(4, 8, window: 5, heads: 2);
        Assert.Equal(new WindowResamplerOptions { Window = 5, Heads = 2 }, window.Options);
    }

    [Fact]
    public void An_unknown_type_lists_the_supported_types()
    {
        var e = Refused("""{"type": "qformer"}""");
        Assert.Contains("recipe.yaml: model.connectors.image", e.Message);
        Assert.Contains("'qformer'", e.Message);
        Assert.Contains("linear, mlp, resampler, window_resampler, downsample, moe", e.Message);
        Assert.Contains("supported", Refused("""{"depth": 2}""").Message);
    }

    [Theory]
    [InlineData("""{"type": "mlp", "deph": 2}""", "'deph'", "'depth'")]
    [InlineData("""{"type": "window_resampler", "windw": 4}""", "'windw'", "'window'")]
    [InlineData("""{"type": "moe", "topk": 1}""", "'topk'", "'top_k'")]
    [InlineData("""{"type": "moe", "router": {"temprature": 2}}""", "'router.temprature'", "'router.temperature'")]
    [InlineData("""{"type": "linear", "depth": 2}""", "'depth'", "'type'")]
    public void An_unknown_key_names_the_closest_valid_key(string json, string unknown, string closest)
    {
        var e = Refused(json);
        Assert.Contains("recipe.yaml: model.connectors.image", e.Message);
        Assert.Contains(unknown, e.Message);
        Assert.Contains($"did you mean {closest}", e.Message);
    }

    [Theory]
    [InlineData("""{"type": "mlp", "depth": 0}""", "'depth'")]
    [InlineData("""{"type": "mlp", "activation": "swish"}""", "'activation'")]
    [InlineData("""{"type": "window_resampler", "window": 0}""", "'window'")]
    [InlineData("""{"type": "resampler", "queries": 0}""", "'queries'")]
    [InlineData("""{"type": "resampler", "queries": 1}""", "'self_attention'")]
    [InlineData("""{"type": "resampler", "hidden_size": 30, "heads": 4}""", "'hidden_size'")]
    [InlineData("""{"type": "downsample", "mode": "max"}""", "'mode'")]
    [InlineData("""{"type": "downsample", "factor": 0}""", "'factor'")]
    [InlineData("""{"type": "moe", "experts": 2, "top_k": 3}""", "'top_k'")]
    [InlineData("""{"type": "moe", "experts": 2, "strategy": "softmax_topk:k=4"}""", "'strategy'")]
    [InlineData("""{"type": "moe", "strategy": "sinkhorn"}""", "'strategy'")]
    [InlineData("""{"type": "moe", "aux_losses": ["balance"]}""", "'aux_losses'")]
    [InlineData("""{"type": "moe", "router": {"temperature": 0}}""", "'router'")]
    [InlineData("""{"type": "mlp", "depth": "two"}""", "'depth'")]
    [InlineData("""{"type": "moe", "experts": 2.5}""", "'experts'")]
    public void An_invalid_value_names_the_key(string json, string key)
    {
        var e = Refused(json);
        Assert.Contains("recipe.yaml: model.connectors.image", e.Message);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Create_refuses_invalid_options_naming_the_key()
    {
        var e = Assert.Throws<ArgumentException>(() => ConnectorFactory.Create(new MoeConnectorOptions { Experts = 2, TopK = 3 }, 4, 8));
        Assert.Contains("'top_k'", e.Message);
    }
}
