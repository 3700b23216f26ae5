using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.SoftMoa;
using MMAdapt.Adapters.Training;
using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Ast;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.Adapters.Bottleneck;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.SoftMoa;

/// <summary>Soft-MoA and Dense-MoA: routing weights, padding, batched = looped, identity at init on the AST fixture,
/// training, and refusal in a causal decoder.</summary>
public class SoftMoaTests
{
    public static TheoryData<string, string, string[]?, bool> Mixtures => new()
    {
        // mixing, placement, sublayers, normalize
        { "soft", "parallel", new[] { "attention", "mlp" }, true },
        { "soft", "houlsby", null, false },
        { "soft", "pfeiffer", null, true },
        { "dense", "parallel", new[] { "attention", "mlp" }, false },
    };

    private static MoaOptions Options(string mixing, string placement, string[]? sublayers, bool normalize) => new()
    {
        Mixing = mixing, Experts = 3, Slots = mixing == "soft" ? 2 : 1, Bottleneck = 8, Normalize = normalize,
        Placement = placement, Sublayers = sublayers,
    };

    private static SoftMixtureOfAdapters NewSoft(bool normalize, int seed = 1) =>
        new(12, 3, 2, 5, AdapterActivation.Gelu, 1.5, normalize, parallel: true, generator: new Generator((ulong)seed));

    private static Tensor AstInput()
    {
        using var values = FixturePaths.Expected("ast", "input_values");
        return values.unsqueeze(0); // [1, 100, 32]
    }

    [Theory, MemberData(nameof(Mixtures))]
    public void Mixtures_start_as_the_identity_on_the_ast_fixture(string mixing, string placement, string[]? sublayers, bool normalize)
    {
        using var model = AstModel.FromPretrained(FixturePaths.Of("ast"));
        using var input = AstInput();
        using var _ = no_grad();
        var before = model.Forward(input);
        var attached = MoaAttacher.Attach(model, "audio", Options(mixing, placement, sublayers, normalize));
        Assert.Equal(placement == "pfeiffer" ? 2 : 4, attached.Count);
        Assert.All(attached.Values, a => Assert.IsType(mixing == "soft" ? typeof(SoftMixtureOfAdapters) : typeof(DenseMixtureOfAdapters), a));
        var after = model.Forward(input);
        Assert.Equal(0.0, TensorAssert.RelativeError(after.Encoder.LastHiddenState, before.Encoder.LastHiddenState));
        Assert.Equal(0.0, TensorAssert.RelativeError(after.Logits!, before.Logits!));
        using var expected = FixturePaths.Expected("ast", "last_hidden_state");
        TensorAssert.Close(after.Encoder.LastHiddenState[0], expected, 1e-4, "AST last hidden state with adapters at init");
    }

    [Theory, MemberData(nameof(Mixtures))]
    public void Optimizer_steps_on_the_ast_fixture_move_every_adapter_tensor(string mixing, string placement, string[]? sublayers, bool normalize)
    {
        using var model = AstModel.FromPretrained(FixturePaths.Of("ast"));
        using var input = AstInput();
        using var label = tensor(new long[] { 2 });
        MoaAttacher.Attach(model, "audio", Options(mixing, placement, sublayers, normalize), seed: 5);
        var trained = AdapterTraining.AssertStepsMoveEveryAdapterTensor(model,
            () => nn.functional.cross_entropy(model.Forward(input).Logits!, label));
        int perSite = mixing == "soft" ? (normalize ? 6 : 5) : 6; // phi, [scale], 4 expert tensors | router weight + bias, 4
        Assert.Equal((placement == "pfeiffer" ? 2 : 4) * perSite, trained.Count);
    }

    [Theory, InlineData(true), InlineData(false)]
    public void Dispatch_sums_to_one_over_tokens_and_combine_over_slots(bool normalize)
    {
        using var moa = NewSoft(normalize);
        using var x = randn(2, 7, 12, generator: new Generator(4)) * 3;
        using var mask = tensor(new long[,] { { 1, 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 0, 0, 0 } });
        foreach (var m in new[] { null, mask })
        {
            var (dispatch, combine) = moa.RoutingWeights(x, m);
            Assert.Equal(new long[] { 2, 7, 6 }, dispatch.shape);
            TensorAssert.Close(dispatch.sum(1), ones(2, 6), 1e-6, "dispatch over tokens");
            TensorAssert.Close(combine.sum(2), ones(2, 7), 1e-6, "combine over slots");
        }
        var (masked, _) = moa.RoutingWeights(x, mask);
        Assert.Equal(0.0f, masked[1, 4..].abs().max().item<float>());   // padded tokens: exactly zero dispatch
        Assert.True(masked[1, ..4].min().item<float>() > 0);
    }

    [Fact]
    public void Padding_changes_nothing_for_the_real_tokens()
    {
        using var moa = NewSoft(normalize: true);
        SoftMoaReference.Randomize(moa, 8);
        using var _ = no_grad();
        using var real = randn(1, 5, 12, generator: new Generator(9));
        using var garbage = randn(1, 3, 12, generator: new Generator(10)) * 100;
        using var padded = cat([real, garbage], 1);                                  // [1, 8, 12]
        using var mask = tensor(new long[,] { { 1, 1, 1, 1, 1, 0, 0, 0 } });
        using var alone = moa.Change(real, null);
        using var withPadding = moa.Change(padded, new ForwardContext { AttentionMask = mask });
        Assert.True(alone.abs().max().item<float>() > 1e-3);
        TensorAssert.Close(withPadding[.., ..5], alone, 1e-6, "real tokens with and without padding");
        TensorAssert.Close(withPadding, SoftMoaReference.Soft(moa, padded, mask), 1e-5, "masked vs reference");
        var wrong = Assert.Throws<ArgumentException>(() => moa.Change(padded, new ForwardContext { AttentionMask = ones(1, 9) }));
        Assert.Contains("attention mask [1, 9] does not match the tokens [1, 8]", wrong.Message);
    }

    [Theory, InlineData(true), InlineData(false)]
    public void Batched_soft_mixture_equals_the_per_expert_loop_in_outputs_and_gradients(bool normalize)
    {
        using var moa = NewSoft(normalize);
        SoftMoaReference.Randomize(moa, 11);
        AssertSameAsReference(moa, x => moa.Change(x, null), x => SoftMoaReference.Soft(moa, x));
    }

    [Fact]
    public void Batched_dense_mixture_equals_the_per_expert_loop_in_outputs_and_gradients()
    {
        using var moa = new DenseMixtureOfAdapters(12, 4, 5, AdapterActivation.Relu, 2.0, parallel: false, generator: new Generator(2));
        SoftMoaReference.Randomize(moa, 12);
        AssertSameAsReference(moa, x => moa.Change(x, null), x => SoftMoaReference.Dense(moa, x));
        using var x = randn(2, 3, 12);
        using var gates = moa.RouterProbabilities(x);
        TensorAssert.Close(gates.sum(-1), ones(2, 3), 1e-6, "router probabilities");
    }

    private static void AssertSameAsReference(nn.Module module, Func<Tensor, Tensor> batched, Func<Tensor, Tensor> reference)
    {
        using var scope = NewDisposeScope();
        var x = (randn(2, 7, 12, generator: new Generator(13)) * 2).requires_grad_();
        var weights = randn(2, 7, 12, generator: new Generator(14));
        var parameters = module.named_parameters().ToList();
        var (fast, fastGrads) = Run(batched);
        var (slow, slowGrads) = Run(reference);
        TensorAssert.Close(fast, slow, 1e-5, "output");
        foreach (var (name, grad) in slowGrads)
            TensorAssert.Close(fastGrads[name], grad, 1e-5, $"gradient of {name}");
        Assert.Equal(parameters.Count + 1, slowGrads.Count);

        (Tensor Output, Dictionary<string, Tensor> Grads) Run(Func<Tensor, Tensor> f)
        {
            x.grad?.zero_();
            foreach (var (_, p) in parameters)
                p.grad?.zero_();
            var output = f(x);
            (output * weights).sum().backward();
            var grads = parameters.ToDictionary(p => p.name, p => p.parameter.grad!.clone());
            grads["input"] = x.grad!.clone();
            return (output.detach(), grads);
        }
    }

    [Fact]
    public void Soft_mixing_is_refused_in_a_causal_decoder_and_dense_mixing_is_not()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        var e = Assert.Throws<ArgumentException>(() =>
            MoaAttacher.Attach(model, "llm", new MoaOptions { Bottleneck = 4, Sublayers = ["attention", "mlp"] }));
        Assert.Contains("llm: model.layers.0.attention_site: SoftMixtureOfAdapters mixes tokens across the sequence, so it cannot sit in a causal decoder", e.Message);
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("_site."));

        using var ids = FixturePaths.Expected("llama", "input_ids");
        using var _ = no_grad();
        using var before = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        MoaAttacher.Attach(model, "llm", new MoaOptions { Mixing = "dense", Bottleneck = 4, Placement = "houlsby" });
        using var after = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        Assert.Equal(0.0, TensorAssert.RelativeError(after, before));
    }

    [Fact]
    public void Bad_options_name_the_key()
    {
        using var model = AstModel.FromPretrained(FixturePaths.Of("ast"));
        (MoaOptions Options, string Message)[] cases =
        [
            (new MoaOptions { Experts = 0 }, "audio: experts must be positive, got 0"),
            (new MoaOptions { Slots = 0 }, "audio: slots must be positive, got 0"),
            (new MoaOptions { Bottleneck = 0 }, "audio: bottleneck must be positive, got 0"),
            (new MoaOptions { Mixing = "sparse" }, "audio: mixing 'sparse' is not supported; supported: soft, dense"),
            (new MoaOptions { Mixing = "dense", Slots = 2 }, "audio: slots and normalize apply to soft mixing only"),
            (new MoaOptions { Sublayers = ["ffn"] }, "audio: sublayers names unknown sublayer 'ffn'; supported: attention, mlp"),
        ];
        foreach (var (options, message) in cases)
            Assert.Contains(message, Assert.Throws<InvalidDataException>(() => MoaAttacher.Attach(model, "audio", options)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftMixtureOfAdapters(12, 3, 0, 4, AdapterActivation.Gelu, 1, false, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BottleneckExperts(0, 12, 4, AdapterActivation.Gelu, 1));
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("_site."));
    }

    [Fact]
    public void Repeated_training_steps_leak_no_tensors()
    {
        using var model = AstModel.FromPretrained(FixturePaths.Of("ast"));
        using var input = AstInput();
        MoaAttacher.Attach(model, "audio", Options("soft", "parallel", ["attention", "mlp"], normalize: true));
        Trainability.FreezeAll(model);
        Trainability.UnfreezeAdapters(model);
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), lr: 1e-3);
        AdapterTraining.AssertNoLeaks(() =>
        {
            optimizer.zero_grad();
            model.Forward(input).Encoder.LastHiddenState.square().mean().backward();
            optimizer.step();
        });
    }
}
