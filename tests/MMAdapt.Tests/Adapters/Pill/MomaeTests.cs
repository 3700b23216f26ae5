using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Pill;
using MMAdapt.Adapters.Training;
using MMAdapt.Core.Modules;
using MMAdapt.Tests.Adapters.Bottleneck;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Pill;

/// <summary>PILL's modality adapter experts (MoMAE): identity at init, routing by modality, training, bad input.</summary>
public class MomaeTests
{
    [Fact]
    public void Experts_start_as_the_identity_on_a_mixed_batch()
    {
        using var f = new PillFixture();
        using var _ = no_grad();
        using var before = f.Logits(f.Context);
        var attached = PillAttacher.AttachExperts(f.Model, "llm", new MomaeOptions { Bottleneck = 8, Modalities = ["text", "image", "audio"] });
        Assert.Equal(["model.layers.0.mlp_site", "model.layers.1.mlp_site"], attached.Keys);
        Assert.Equal([Modality.Text, Modality.Image, Modality.Audio], attached.Values.First().Modalities);
        Assert.Contains("model.layers.0.mlp_site.default.image.up_proj", f.Model.state_dict().Keys);
        using var after = f.Logits(f.Context);
        Assert.Equal(0.0, TensorAssert.RelativeError(after, before));
    }

    [Fact]
    public void Optimizer_steps_move_every_expert_tensor()
    {
        using var f = new PillFixture();
        PillAttacher.AttachExperts(f.Model, "llm", new MomaeOptions { Bottleneck = 8, Sublayers = ["attention", "mlp"] }, seed: 2);
        var trained = AdapterTraining.AssertStepsMoveEveryAdapterTensor(f.Model, () => AdapterTraining.LanguageModelLoss(f.Model, f.Ids, f.Context));
        Assert.Equal(2 * 2 * 2 * 3, trained.Count); // layers × sites × experts (text, image) × (down, gate, up)
    }

    [Fact]
    public void Tokens_go_to_their_modality_expert_and_an_image_expert_change_moves_only_image_tokens()
    {
        using var experts = new ModalityAdapterExperts(12, 4, [Modality.Text, Modality.Image], AdapterActivation.Silu, generator: new Generator(3));
        using var _ = no_grad();
        var generator = new Generator(4);
        foreach (var m in experts.Modalities)
            experts[m].UpProjection.copy_(randn(12, 4, generator: generator));
        using var x = randn(2, 6, 12, generator: generator);
        using var ids = tensor(new long[,] { { 0, 1, 1, 2, 0, 0 }, { 1, 0, 2, 2, 1, 0 } });
        var context = new ForwardContext { TokenModality = ids };
        var text = ids.eq(0).unsqueeze(-1);
        var image = ids.eq(1).unsqueeze(-1);
        var audio = ids.eq(2).unsqueeze(-1);

        // Reference: each expert on every token, kept where the token is of its modality.
        var expected = x + where(text, experts[Modality.Text].Forward(x), zeros_like(x)) + where(image, experts[Modality.Image].Forward(x), zeros_like(x));
        var output = experts.BeforeSublayer(x, context);
        TensorAssert.Close(output, expected, 1e-6, "MoMAE vs per-modality reference");
        Assert.True(output.masked_select(audio).eq(x.masked_select(audio)).all().item<bool>(), "audio tokens (no expert) pass unchanged");

        experts[Modality.Image].UpProjection.add_(1.0);
        var changed = experts.BeforeSublayer(x, context);
        Assert.True(changed.masked_select(text).eq(output.masked_select(text)).all().item<bool>(), "text tokens unchanged");
        Assert.True(changed.masked_select(audio).eq(output.masked_select(audio)).all().item<bool>(), "audio tokens unchanged");
        Assert.False(changed.masked_select(image).eq(output.masked_select(image)).any().item<bool>(), "every image value moved");

        // Without modality ids every token is text.
        TensorAssert.Close(experts.BeforeSublayer(x, null), x + experts[Modality.Text].Forward(x), 1e-6, "no ids = all text");
        var wrong = Assert.Throws<ArgumentException>(() => experts.BeforeSublayer(x, new ForwardContext { TokenModality = zeros(2, 5, dtype: ScalarType.Int64) }));
        Assert.Contains("token modalities [2, 5] do not match the tokens [2, 6]", wrong.Message);
        Assert.Contains("No audio expert (experts: text, image)", Assert.Throws<KeyNotFoundException>(() => experts[Modality.Audio]).Message);
    }

    [Fact]
    public void Bad_options_name_the_key()
    {
        using var f = new PillFixture();
        (MomaeOptions Options, string Message)[] cases =
        [
            (new MomaeOptions { Bottleneck = 0 }, "llm: bottleneck must be positive, got 0"),
            (new MomaeOptions { Modalities = ["text", "video"] }, "llm: modalities names unknown modality 'video'; supported: text, image, audio"),
            (new MomaeOptions { Modalities = ["image", "Image"] }, "llm: modalities lists modality 'image' twice"),
            (new MomaeOptions { Modalities = [] }, "llm: modalities is empty"),
            (new MomaeOptions { GateActivation = "tanh" }, "llm: activation 'tanh' is not supported"),
        ];
        foreach (var (options, message) in cases)
            Assert.Contains(message, Assert.Throws<InvalidDataException>(() => PillAttacher.AttachExperts(f.Model, "llm", options)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GluAdapter(12, 0, AdapterActivation.Silu));
        Assert.DoesNotContain(f.Model.state_dict().Keys, k => k.Contains("_site."));
    }

    [Fact]
    public void Repeated_training_steps_with_experts_and_gates_leak_no_tensors()
    {
        using var f = new PillFixture();
        PillAttacher.AttachExperts(f.Model, "llm", new MomaeOptions { Bottleneck = 4 });
        PillAttacher.AttachGates(f.Model, "llm", new MagOptions { Heads = 2 });
        Trainability.FreezeAll(f.Model);
        Trainability.UnfreezeAdapters(f.Model);
        using var optimizer = optim.AdamW(f.Model.parameters().Where(p => p.requires_grad), lr: 1e-3);
        AdapterTraining.AssertNoLeaks(() =>
        {
            optimizer.zero_grad();
            AdapterTraining.LanguageModelLoss(f.Model, f.Ids, f.Context).backward();
            optimizer.step();
        });
    }
}
