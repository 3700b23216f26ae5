using MMAdapt.Adapters.Bottleneck;
using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Training;
using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Bottleneck;

/// <summary>Bottleneck adapters in the Houlsby, Pfeiffer and parallel placements, on the llama fixture.</summary>
public class BottleneckAdapterTests
{
    // placement, sublayers, expected sites (2 layers), parallel
    public static TheoryData<string, string[]?, int, bool> Placements => new()
    {
        { "houlsby", null, 4, false },
        { "pfeiffer", null, 2, false },
        { "parallel", null, 2, true },
        { "parallel", new[] { "attention", "mlp" }, 4, true },
    };

    private static BottleneckOptions Options(string placement, string[]? sublayers) =>
        new() { Bottleneck = 8, Activation = "gelu", Placement = placement, Sublayers = sublayers, Scaling = 2.0 };

    [Theory, MemberData(nameof(Placements))]
    public void Attached_adapters_start_as_the_identity(string placement, string[]? sublayers, int sites, bool parallel)
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        using var ids = FixturePaths.Expected("llama", "input_ids");
        using var _ = no_grad();
        using var before = model.Forward(new DecoderInput { InputIds = ids }).Logits;

        var adapters = BottleneckAttacher.Attach(model, "llm", Options(placement, sublayers));
        Assert.Equal(sites, adapters.Count);
        Assert.All(adapters.Values, a => Assert.Equal(parallel, a.Parallel));
        if (placement == "pfeiffer")
            Assert.All(adapters.Keys, k => Assert.EndsWith(".mlp_site", k));
        // W_up zero, W_down not: identity that can still learn.
        Assert.All(adapters.Values, a => Assert.Equal(0.0, a.UpProjection.abs().max().item<float>()));
        Assert.All(adapters.Values, a => Assert.True(a.DownProjection.abs().max().item<float>() > 0));
        Assert.Contains("model.layers.1.mlp_site.default.up_proj", model.state_dict().Keys);

        using var after = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        Assert.Equal(0.0, TensorAssert.RelativeError(after, before));
    }

    [Theory, MemberData(nameof(Placements))]
    public void Optimizer_steps_move_every_adapter_tensor_and_change_the_output(string placement, string[]? sublayers, int sites, bool parallel)
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        using var ids = FixturePaths.Expected("llama", "input_ids");
        var adapters = BottleneckAttacher.Attach(model, "llm", Options(placement, sublayers), seed: 3);
        var trained = AdapterTraining.AssertStepsMoveEveryAdapterTensor(model, () => AdapterTraining.LanguageModelLoss(model, ids));
        Assert.Equal(sites * 4, trained.Count);
        Assert.All(trained, n => Assert.True(Trainability.IsAdapterParameter(n), n));

        using var _ = no_grad();
        using var plain = FixturePaths.Expected("llama", "logits");
        using var adapted = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        Assert.True(TensorAssert.RelativeError(adapted, plain) > 1e-5);
        // Disabling the sites gives the base model back.
        foreach (var site in model.named_modules().Select(m => m.module).OfType<SublayerAdapterSite>())
            site.Enabled = false;
        using var disabled = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        TensorAssert.Close(disabled, plain, 1e-5, "sites disabled");
        Assert.All(adapters.Values, a => Assert.Equal(parallel, a.Parallel));
    }

    [Fact]
    public void Parallel_adds_the_scaled_adapter_of_the_block_input_and_sequential_that_of_its_output()
    {
        using var adapter = new BottleneckAdapter(6, 3, AdapterActivation.Relu, 4.0, parallel: true, generator: new Generator(1));
        using var sequential = new BottleneckAdapter(6, 3, AdapterActivation.Relu, 1.0, parallel: false, generator: new Generator(1));
        using var _ = no_grad();
        foreach (var a in new[] { adapter, sequential })
            a.UpProjection.copy_(randn(6, 3, generator: new Generator(2)));
        using var input = randn(2, 5, 6, generator: new Generator(3));
        using var output = randn(2, 5, 6, generator: new Generator(4));
        Tensor F(BottleneckAdapter a, Tensor x) =>
            nn.functional.relu(x.matmul(a.DownProjection.t())).matmul(a.UpProjection.t());
        TensorAssert.Close(adapter.AfterSublayer(input, output, null), output + 4.0 * F(adapter, input), 1e-6, "parallel");
        TensorAssert.Close(sequential.AfterSublayer(input, output, null), output + F(sequential, output), 1e-6, "sequential");
        Assert.Same(input, adapter.BeforeSublayer(input, null));
    }

    [Fact]
    public void Bad_options_name_the_key()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        var zero = Assert.Throws<InvalidDataException>(() => BottleneckAttacher.Attach(model, "llm", new BottleneckOptions { Bottleneck = 0 }));
        Assert.Contains("llm: bottleneck must be positive, got 0", zero.Message);
        var activation = Assert.Throws<InvalidDataException>(() => BottleneckAttacher.Attach(model, "llm", new BottleneckOptions { Activation = "swish" }));
        Assert.Contains("activation 'swish' is not supported; supported: relu, gelu, silu, sigmoid", activation.Message);
        var contradiction = Assert.Throws<InvalidDataException>(() =>
            BottleneckAttacher.Attach(model, "llm", new BottleneckOptions { Placement = "pfeiffer", Sublayers = ["attention"] }));
        Assert.Contains("contradict placement 'pfeiffer'", contradiction.Message);
        var placement = Assert.Throws<InvalidDataException>(() => BottleneckAttacher.Attach(model, "llm", new BottleneckOptions { Placement = "serial" }));
        Assert.Contains("placement 'serial' is not supported; supported: houlsby, pfeiffer, parallel", placement.Message);
        var layers = Assert.Throws<ArgumentException>(() => BottleneckAttacher.Attach(model, "llm", new BottleneckOptions { Layers = [1, 7] }));
        Assert.Contains("llm: layers [7] do not exist; the component has layers 0..1", layers.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BottleneckAdapter(48, 0, AdapterActivation.Relu, 1, false));
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("_site."));
    }

    [Fact]
    public void A_second_adapter_of_the_same_name_is_refused_and_the_partial_attach_is_undone()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        BottleneckAttacher.Attach(model, "llm", new BottleneckOptions { Bottleneck = 4, Placement = "pfeiffer" });
        var e = Assert.Throws<ArgumentException>(() => BottleneckAttacher.Attach(model, "llm", new BottleneckOptions { Bottleneck = 4 }));
        Assert.Contains("llm: model.layers.0.mlp_site: An adapter named 'default' is already attached here", e.Message);
        Assert.Equal(2, model.state_dict().Keys.Count(k => k.EndsWith(".default.up_proj", StringComparison.Ordinal)));
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("attention_site."));
    }

    [Fact]
    public void Repeated_training_steps_leak_no_tensors()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        using var ids = FixturePaths.Expected("llama", "input_ids");
        BottleneckAttacher.Attach(model, "llm", new BottleneckOptions { Bottleneck = 4, Placement = "parallel", Sublayers = ["attention", "mlp"] });
        Trainability.FreezeAll(model);
        Trainability.UnfreezeAdapters(model);
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), lr: 1e-3);
        AdapterTraining.AssertNoLeaks(() =>
        {
            optimizer.zero_grad();
            AdapterTraining.LanguageModelLoss(model, ids).backward();
            optimizer.step();
        });
    }
}
