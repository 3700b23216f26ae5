using MMAdapt.Adapters.Pill;
using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Ast;
using MMAdapt.Tests.Adapters.Bottleneck;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Pill;

/// <summary>PILL's modality-attention gate (MAG) on the llama fixture's value projections (2 key/value heads of 8).</summary>
public class MagTests
{
    /// <summary>The expected effect of a silent gate, written independently: image tokens' value rows set to zero.</summary>
    private sealed class ZeroImageValues : ProjectionAdapter
    {
        public ZeroImageValues() : base(nameof(ZeroImageValues)) { }

        public override Tensor Apply(Tensor input, Tensor baseOutput, ForwardContext? context) =>
            baseOutput.masked_fill(context!.TokenModality!.eq((long)Modality.Image).unsqueeze(-1), 0);
    }

    [Fact]
    public void A_silent_gate_equals_zeroing_the_image_tokens_values_and_leaves_text_only_batches_alone()
    {
        using var f = new PillFixture();
        using var reference = new PillFixture();
        using var _ = no_grad();
        using var plain = f.Logits(f.Context);
        using var baseText = f.Logits(null);
        var gates = PillAttacher.AttachGates(f.Model, "llm", new MagOptions { Heads = 2 });
        Assert.Equal(["model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.v_proj"], gates.Keys);
        Assert.Contains("model.layers.1.self_attn.v_proj.adapters.default.gate_proj", f.Model.state_dict().Keys);
        foreach (var (name, module) in reference.Model.named_modules())
            if (name.EndsWith(".self_attn.v_proj", StringComparison.Ordinal))
                ((AdaptableLinear)module).Adapters.Add("zero", new ZeroImageValues());

        using var gated = f.Logits(f.Context);
        using var zeroed = reference.Logits(reference.Context);
        TensorAssert.Close(gated, zeroed, 1e-6, "silent MAG vs image values zeroed");
        Assert.True(TensorAssert.RelativeError(gated, plain) > 1e-4, "image tokens' values matter");

        // Text-only batches: ids all text, or no ids at all.
        using var textIds = zeros(2, 11, dtype: ScalarType.Int64);
        using var allText = f.Logits(new ForwardContext { TokenModality = textIds });
        using var noIds = f.Logits(null);
        Assert.Equal(0.0, TensorAssert.RelativeError(allText, baseText));
        Assert.Equal(0.0, TensorAssert.RelativeError(noIds, baseText));
    }

    [Fact]
    public void The_residual_gate_starts_as_the_identity_and_a_switched_off_gate_is_the_base_model()
    {
        using var f = new PillFixture();
        using var _ = no_grad();
        using var plain = f.Logits(f.Context);
        PillAttacher.AttachGates(f.Model, "llm", new MagOptions { Heads = 2, Residual = true });
        using var residual = f.Logits(f.Context);
        Assert.Equal(0.0, TensorAssert.RelativeError(residual, plain));

        PillAttacher.AttachGates(f.Model, "llm", new MagOptions { Heads = 2, Enabled = false }, name: "silent");
        using var attachedOff = f.Logits(f.Context);
        Assert.Equal(0.0, TensorAssert.RelativeError(attachedOff, plain));
        Assert.Equal(4, PillAttacher.SetGatesEnabled(f.Model, true));
        using var on = f.Logits(f.Context);
        Assert.True(TensorAssert.RelativeError(on, plain) > 1e-4);
        PillAttacher.SetGatesEnabled(f.Model, false);
        using var off = f.Logits(f.Context);
        Assert.Equal(0.0, TensorAssert.RelativeError(off, plain));
    }

    [Theory, InlineData(false), InlineData(true)]
    public void One_optimizer_step_moves_every_gate(bool residual)
    {
        using var f = new PillFixture();
        PillAttacher.AttachGates(f.Model, "llm", new MagOptions { Heads = 2, Residual = residual });
        // The gate's gradient is nonzero from the start (tanh'(0) = 1), so one step suffices.
        var trained = AdapterTraining.AssertStepsMoveEveryAdapterTensor(f.Model, () => AdapterTraining.LanguageModelLoss(f.Model, f.Ids, f.Context), steps: 1);
        Assert.Equal(2, trained.Count);
    }

    [Fact]
    public void Gates_attach_to_the_ast_value_projections()
    {
        using var model = AstModel.FromPretrained(FixturePaths.Of("ast"));
        var gates = PillAttacher.AttachGates(model, "audio", new MagOptions { Heads = 4, Modalities = ["audio"], Layers = [1] });
        Assert.Equal(["audio_spectrogram_transformer.encoder.layer.1.attention.attention.value"], gates.Keys);
    }

    [Fact]
    public void Bad_input_names_the_numbers_and_keys()
    {
        using var f = new PillFixture();
        var heads = Assert.Throws<ArgumentException>(() => PillAttacher.AttachGates(f.Model, "llm", new MagOptions { Heads = 3 }));
        Assert.Contains("llm: model.layers.0.self_attn.v_proj: ModalityAttentionGate: 3 heads do not divide the value projection's 16 output features", heads.Message);
        (MagOptions Options, string Message)[] cases =
        [
            (new MagOptions(), "llm: heads must be positive (the attention's key/value head count), got 0"),
            (new MagOptions { Heads = 2, Modalities = ["pixels"] }, "llm: modalities names unknown modality 'pixels'; supported: text, image, audio"),
        ];
        foreach (var (options, message) in cases)
            Assert.Contains(message, Assert.Throws<InvalidDataException>(() => PillAttacher.AttachGates(f.Model, "llm", options)).Message);
        var target = Assert.Throws<ArgumentException>(() => PillAttacher.AttachGates(f.Model, "llm", new MagOptions { Heads = 2, TargetModules = ["values"] }));
        Assert.Contains("llm: no value projection named values; projections that exist: down_proj, embed_tokens, gate_proj, k_proj", target.Message);
        var layers = Assert.Throws<ArgumentException>(() => PillAttacher.AttachGates(f.Model, "llm", new MagOptions { Heads = 2, Layers = [4] }));
        Assert.Contains("llm: layers [4] have no value projection", layers.Message);
        Assert.DoesNotContain(f.Model.state_dict().Keys, k => k.Contains(".adapters."));
    }
}
