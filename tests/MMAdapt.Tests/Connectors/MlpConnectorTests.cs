using MMAdapt.Connectors;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Connectors;

public class MlpConnectorTests
{
    private static Tensor P(nn.Module module, string key) => module.get_parameter(key)!;

    [Fact]
    public void Mlp2x_gelu_is_linear_2_of_gelu_of_linear_1()
    {
        using var mlp = new MlpConnector(12, 16, generator: new Generator(1));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var x = ConnectorCases.Features(2, 5, 0);
        var hidden = nn.functional.gelu(nn.functional.linear(x, P(mlp, "linear_1.weight"), P(mlp, "linear_1.bias")));
        var expected = nn.functional.linear(hidden, P(mlp, "linear_2.weight"), P(mlp, "linear_2.bias"));
        TensorAssert.Close(mlp.Forward(x), expected, 1e-7);
        Assert.Equal(new[] { "linear_1.weight", "linear_1.bias", "linear_2.weight", "linear_2.bias" }, mlp.state_dict().Keys);
        Assert.Equal(new long[] { 16, 12 }, P(mlp, "linear_1.weight").shape);
        Assert.Equal(new long[] { 16, 16 }, P(mlp, "linear_2.weight").shape);
    }

    [Fact]
    public void Llava_projector_types_map_to_options()
    {
        Assert.Equal(new MlpConnectorOptions { Depth = 2 }, ConnectorFactory.FromLlavaProjectorType("mlp2x_gelu"));
        Assert.Equal(new MlpConnectorOptions { Depth = 3 }, ConnectorFactory.FromLlavaProjectorType("mlp3x_gelu"));
        Assert.Equal(new LinearConnectorOptions(), ConnectorFactory.FromLlavaProjectorType("linear"));
        var e = Assert.Throws<ArgumentException>(() => ConnectorFactory.FromLlavaProjectorType("identity"));
        Assert.Contains("mlpNx_gelu", e.Message);
    }

    /// <summary>Writes <paramref name="source"/>'s tensors under the names <paramref name="name"/> gives, plus tensors of
    /// other parts of a LLaVA checkpoint that loading must ignore.</summary>
    private static string Write(TempFolder folder, nn.Module source, Func<string, string> name)
    {
        var path = folder.File("model.safetensors");
        var tensors = source.state_dict().Select(p => KeyValuePair.Create(name(p.Key), p.Value)).ToList();
        using var other = ones(4, 4);
        tensors.Add(KeyValuePair.Create("model.language_model.embed_tokens.weight", other));
        tensors.Add(KeyValuePair.Create("model.vision_tower.post_layernorm.weight", other));
        SafetensorsWriter.Write(path, tensors);
        return path;
    }

    private static void AssertSameParameters(nn.Module expected, nn.Module actual)
    {
        var actualState = actual.state_dict();
        foreach (var (key, tensor) in expected.state_dict())
            Assert.True(tensor.equal(actualState[key]).all().item<bool>(), $"{key} differs after loading");
    }

    [Fact]
    public void Loads_a_hugging_face_llava_projector()
    {
        using var folder = new TempFolder();
        using var trained = new MlpConnector(12, 16, generator: new Generator(1));
        var path = Write(folder, trained, key => ConnectorInit.LlavaPrefix + key);   // multi_modal_projector.linear_1.weight, ...
        using var fresh = (MlpConnector)ConnectorFactory.Create(new MlpConnectorOptions(), 12, 16, generator: new Generator(2));
        ConnectorInit.LoadWeights(fresh, path, ConnectorInit.LlavaPrefix);
        AssertSameParameters(trained, fresh);
    }

    [Fact]
    public void Loads_original_llava_mm_projector_sequential_names()
    {
        using var folder = new TempFolder();
        using var trained = new MlpConnector(12, 16, depth: 3, generator: new Generator(1));
        // nn.Sequential(Linear, GELU, Linear, GELU, Linear): linear_j sits at index 2(j - 1).
        var path = Write(folder, trained, key => ConnectorInit.LlavaOriginalPrefix + key
            .Replace("linear_1.", "0.").Replace("linear_2.", "2.").Replace("linear_3.", "4."));
        using var fresh = new MlpConnector(12, 16, depth: 3, generator: new Generator(2));
        ConnectorInit.LoadWeights(fresh, path, ConnectorInit.LlavaOriginalPrefix);
        AssertSameParameters(trained, fresh);
    }

    [Fact]
    public void Loads_original_llava_linear_projector()
    {
        using var folder = new TempFolder();
        using var trained = ConnectorFactory.Create(new LinearConnectorOptions(), 12, 16, generator: new Generator(1));
        var path = Write(folder, trained, key => ConnectorInit.LlavaOriginalPrefix + key.Replace("linear_1.", ""));  // mm_projector.weight
        using var fresh = ConnectorFactory.Create(new LinearConnectorOptions(), 12, 16, generator: new Generator(2));
        ConnectorInit.LoadWeights(fresh, path, ConnectorInit.LlavaOriginalPrefix);
        AssertSameParameters(trained, fresh);
    }

    [Fact]
    public void A_shape_mismatch_names_the_tensor_and_both_shapes_and_changes_nothing()
    {
        using var folder = new TempFolder();
        using var trained = new MlpConnector(10, 16, generator: new Generator(1));
        var path = Write(folder, trained, key => ConnectorInit.LlavaPrefix + key);
        using var fresh = new MlpConnector(12, 16, generator: new Generator(2));
        using var before = P(fresh, "linear_2.weight").clone();
        var e = Assert.Throws<CheckpointException>(() => ConnectorInit.LoadWeights(fresh, path, ConnectorInit.LlavaPrefix));
        Assert.Contains("linear_1.weight", e.Message);
        Assert.Contains("[16,10]", e.Message);
        Assert.Contains("[16,12]", e.Message);
        Assert.True(before.equal(P(fresh, "linear_2.weight")).all().item<bool>());
    }

    [Fact]
    public void Loading_is_strict_under_the_prefix()
    {
        using var folder = new TempFolder();
        using var deeper = new MlpConnector(12, 16, depth: 3, generator: new Generator(1));
        var path = Write(folder, deeper, key => ConnectorInit.LlavaPrefix + key);
        using var mlp = new MlpConnector(12, 16);
        var unexpected = Assert.Throws<CheckpointException>(() => ConnectorInit.LoadWeights(mlp, path, ConnectorInit.LlavaPrefix));
        Assert.Contains("multi_modal_projector.linear_3.weight", unexpected.Message);

        var missing = Assert.Throws<CheckpointException>(() => ConnectorInit.LoadWeights(mlp, path, "projector."));
        Assert.Contains("linear_1.weight", missing.Message);
    }
}
