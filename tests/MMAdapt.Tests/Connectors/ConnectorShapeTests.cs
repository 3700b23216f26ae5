using MMAdapt.Connectors;
using MMAdapt.Core.Modules;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Connectors;

public class ConnectorShapeTests
{
    [Theory, MemberData(nameof(ConnectorCases.Names), MemberType = typeof(ConnectorCases))]
    public void Output_shape_is_OutputTokens_for_several_lengths(string name)
    {
        using var connector = ConnectorCases.Create(name);
        using var _ = no_grad();
        foreach (int tokens in new[] { 1, 2, 7, 10, 12 })
        {
            using var scope = NewDisposeScope();
            var y = connector.Forward(ConnectorCases.Features(2, tokens, tokens));
            Assert.Equal(new[] { 2, connector.OutputTokens(tokens), ConnectorCases.Out }, y.shape);
            Assert.Equal(new long[] { 2, connector.OutputTokens(tokens) }, connector.OutputMask(ones(2, tokens)).shape);
            Assert.False(y.isnan().any().item<bool>(), $"{name}: NaN for {tokens} tokens");
        }
    }

    [Theory, MemberData(nameof(ConnectorCases.Names), MemberType = typeof(ConnectorCases))]
    public void Runs_in_bfloat16(string name)
    {
        using var connector = ConnectorFactory.Create(ConnectorCases.Options(name), ConnectorCases.In, ConnectorCases.Out,
            ScalarType.BFloat16, generator: new Generator(1));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var y = connector.Forward(ConnectorCases.Features(2, 7, 0).to(ScalarType.BFloat16));
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        Assert.Equal(new long[] { 2, connector.OutputTokens(7), ConnectorCases.Out }, y.shape);
    }

    [Theory]
    [InlineData("linear", 10, 10)]
    [InlineData("mlp2x_gelu", 7, 7)]
    [InlineData("moe", 9, 9)]
    [InlineData("resampler", 1, 5)]
    [InlineData("resampler", 40, 5)]
    [InlineData("window_resampler", 10, 3)]   // windows of 4 over 10 frames: 3 windows, 1 query each
    [InlineData("window_resampler", 8, 2)]
    [InlineData("window_resampler", 1, 1)]
    [InlineData("window_resampler_2_queries", 10, 8)]   // windows of 3: 4 windows, 2 queries each
    [InlineData("downsample_stack", 7, 4)]    // stack 2 over 7 frames: 4 tokens, the last padded
    [InlineData("downsample_stack", 8, 4)]
    [InlineData("downsample_avg_mlp", 7, 3)]  // average 3 over 7 frames: 3 tokens
    public void OutputTokens_counts(string name, int inputTokens, int expected)
    {
        using var connector = ConnectorCases.Create(name);
        Assert.Equal(expected, connector.OutputTokens(inputTokens));
    }

    [Theory, MemberData(nameof(ConnectorCases.Names), MemberType = typeof(ConnectorCases))]
    public void Lengths_and_shapes_that_do_not_fit_are_refused_naming_the_connector(string name)
    {
        using var connector = ConnectorCases.Create(name);
        connector.Name = "audio_connector";
        var tokens = Assert.Throws<ArgumentException>(() => connector.OutputTokens(0));
        Assert.Contains("audio_connector", tokens.Message);
        Assert.Contains(connector.Options.Type, tokens.Message);

        using var wrongWidth = randn(2, 4, ConnectorCases.In + 1);
        var width = Assert.Throws<ArgumentException>(() => connector.Forward(wrongWidth));
        Assert.Contains("audio_connector", width.Message);
        Assert.Contains($"[2, 4, {ConnectorCases.In + 1}]", width.Message);

        using var features = ConnectorCases.Features(2, 4, 0);
        using var mask = ones(2, 5);
        var masked = Assert.Throws<ArgumentException>(() => connector.Forward(features, new ForwardContext { AttentionMask = mask }));
        Assert.Contains("attention mask", masked.Message);
    }

    /// <summary>A batch padded to the longest item, with garbage in the padding, gives each item what it gets alone.</summary>
    [Theory, MemberData(nameof(ConnectorCases.Names), MemberType = typeof(ConnectorCases))]
    public void Padding_does_not_change_real_outputs(string name)
    {
        using var connector = ConnectorCases.Create(name);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        int shortLength = 7, longLength = 10;
        var shortItem = ConnectorCases.Features(1, shortLength, 1);
        var longItem = ConnectorCases.Features(1, longLength, 2);
        var garbage = randn([1, longLength - shortLength, ConnectorCases.In], generator: new Generator(3)) * 100;
        var batch = cat([cat([shortItem, garbage], 1), longItem], 0);                              // [2, 10, in]
        var mask = stack([arange(longLength).lt(shortLength), ones(longLength, dtype: ScalarType.Bool)]); // [2, 10]

        var batched = connector.Forward(batch, new ForwardContext { AttentionMask = mask });
        var aloneShort = connector.Forward(shortItem);
        var aloneLong = connector.Forward(longItem);

        int realShort = connector.OutputTokens(shortLength);
        TensorAssert.Close(batched[0].narrow(0, 0, realShort), aloneShort[0], 1e-5, $"{name}: the padded item");
        TensorAssert.Close(batched[1], aloneLong[0], 1e-5, $"{name}: the full item");
        Assert.Equal(new long[] { realShort, connector.OutputTokens(longLength) }, TensorAssert.Longs(connector.OutputMask(mask).sum(1)));
        Assert.Equal(Enumerable.Repeat(1L, realShort), TensorAssert.Longs(connector.OutputMask(mask)[0].narrow(0, 0, realShort)));
    }

    [Fact]
    public void Window_resampler_masks_the_padded_last_window()
    {
        // 10 frames in windows of 4: the third window holds frames 8, 9 and two padding frames. It must equal a resampler
        // with the same weights run on those two frames alone.
        using var window = (WindowResamplerConnector)ConnectorCases.Create("window_resampler");
        using var whole = new ResamplerConnector(ConnectorCases.In, ConnectorCases.Out, queries: 1, layers: 2, heads: 4, selfAttention: false);
        whole.load_state_dict(window.state_dict());
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var frames = ConnectorCases.Features(2, 10, 4);
        var y = window.Forward(frames);                                                            // [2, 3, out]
        for (int w = 0; w < 3; w++)
        {
            var expected = whole.Forward(frames.narrow(1, 4 * w, Math.Min(4, 10 - 4 * w)));        // [2, 1, out]
            TensorAssert.Close(y.narrow(1, w, 1), expected, 1e-5, $"window {w}");
        }
    }

    [Fact]
    public void Downsample_stacks_frames_in_time_order_and_pads_the_tail_with_zeros()
    {
        using var connector = new DownsampleConnector(3, 4, DownsampleMode.Stack, factor: 2, generator: new Generator(5));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var x = randn([1, 7, 3], generator: new Generator(6));
        var stacked = cat([x, zeros(1, 1, 3)], 1).reshape(1, 4, 6);                               // [1, 4, 2·3]
        var expected = nn.functional.linear(stacked, connector.get_parameter("linear_1.weight")!, connector.get_parameter("linear_1.bias")!);
        TensorAssert.Close(connector.Forward(x), expected, 1e-6);
    }

    [Fact]
    public void Downsample_avg_averages_real_frames_of_each_group()
    {
        using var connector = new DownsampleConnector(3, 4, DownsampleMode.Average, factor: 3, generator: new Generator(5));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var x = randn([1, 7, 3], generator: new Generator(6));
        var means = cat([x.narrow(1, 0, 3).mean([1], keepdim: true), x.narrow(1, 3, 3).mean([1], keepdim: true), x.narrow(1, 6, 1)], 1);
        var expected = nn.functional.linear(means, connector.get_parameter("linear_1.weight")!, connector.get_parameter("linear_1.bias")!);
        TensorAssert.Close(connector.Forward(x), expected, 1e-6);
    }

    [Fact]
    public void Resampler_outputs_its_queries_for_any_length_and_its_queries_get_gradients()
    {
        using var connector = (ResamplerConnector)ConnectorCases.Create("resampler");
        foreach (int tokens in new[] { 1, 3, 50 })
        {
            using var scope = NewDisposeScope();
            connector.zero_grad();
            var y = connector.Forward(ConnectorCases.Features(3, tokens, tokens));
            Assert.Equal(new long[] { 3, 5, ConnectorCases.Out }, y.shape);
            (y * randn(y.shape, generator: new Generator(8))).sum().backward();
            Assert.True(connector.QueryTokens.grad!.abs().sum().item<float>() > 0, $"no gradient reached the queries for {tokens} tokens");
        }
    }

    [Fact]
    public void Heads_that_do_not_divide_the_width_are_named()
    {
        var e = Assert.Throws<ArgumentException>(() => ConnectorFactory.Create(new ResamplerOptions { Heads = 5 }, 12, 16));
        Assert.Contains("'heads' = 5", e.Message);
    }
}
