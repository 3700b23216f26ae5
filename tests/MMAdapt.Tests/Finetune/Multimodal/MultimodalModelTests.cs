using MMAdapt.Adapters.Training;
using MMAdapt.Connectors;
using MMAdapt.Core.Modules;
using MMAdapt.Encoders.Vision;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Training;
using MMAdapt.Models.Chat;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Models.Tokenization;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Finetune.Multimodal;

public class MultimodalModelTests
{
    /// <summary>The tiny LM (hidden 64) with the CLIP and Whisper fixtures (48) joined by MLP connectors.</summary>
    internal static MultimodalModel Build(int maxSequenceLength = 256)
    {
        var llm = LlamaForCausalLM.FromPretrained(FixturePaths.Of("tiny-llama"));
        var tokenizer = TextTokenizer.FromFolder(FixturePaths.Of("tiny-llama"));
        var vision = VisionPart.Load(FixturePaths.Of("clip_vision"), VisionFeatureSelection.Llava);
        var audio = AudioPart.Load(FixturePaths.Of("whisper_encoder"), trim: true);
        var generator = new Generator(7);
        var imageConnector = ConnectorFactory.Create(new MlpConnectorOptions { Depth = 2 }, 48, 64, generator: generator);
        var audioConnector = ConnectorFactory.Create(new MlpConnectorOptions { Depth = 2 }, 48, 64, generator: generator);
        var template = ChatTemplate.ByName("plain");
        return new MultimodalModel(llm, tokenizer, template, vision, audio, imageConnector, audioConnector,
            new MultimodalPromptEncoder(tokenizer, template, maxSequenceLength));
    }

    private static EncodedSample Sample(MultimodalModel model, string answer) =>
        model.EncodeConversation(
            [ChatMessage.User("<image>\nwhat colour is the shape? and <audio> the sound?"), ChatMessage.Assistant(answer)],
            [FixturePaths.Of("image", "image_56x40.png")], [FixturePaths.Of("whisper_encoder", "audio_16k_mono.wav")], "test row")!;

    [Fact]
    public void Media_slots_are_filled_with_connector_outputs()
    {
        using var model = Build();
        var sample = Sample(model, "the red circle.");
        Assert.Equal(16, sample.Slots[0].Count);             // CLIP 4x4 patches, class token dropped, MLP keeps the count
        Assert.Equal(50, sample.Slots[1].Count);             // 1 s of audio: 100 mel frames -> 50 Whisper frames
        using var batch = model.Collate([sample, Sample(model, "blue.")]);
        Assert.Equal(2, batch.Pixels!.shape[0]);
        Assert.Equal(2 * 16, batch.ImagePositions!.shape[0]);
        Assert.Equal(2 * 50, batch.AudioPositions!.shape[0]);

        using var _ = no_grad();
        var context = model.Context(batch, training: false);
        using var embeddings = model.Embed(batch, context);
        using var tokenEmbeddings = model.Llm.Embed(batch.Ids);
        // Text positions keep token embeddings; image positions hold the connector's output for that image.
        var slot = sample.Slots[0];
        TensorAssert.Close(embeddings[0].narrow(0, 0, slot.Start), tokenEmbeddings[0].narrow(0, 0, slot.Start), 1e-7, "text positions");
        using var features = model.Vision!.Encode(batch.Pixels.narrow(0, 0, 1), null);
        using var expected = model.ImageConnector!.Forward(features)[0];
        TensorAssert.Close(embeddings[0].narrow(0, slot.Start, slot.Count), expected, 1e-6, "image slots");
        Assert.Equal(new long[] { 2, 64 }, context.SampleKeys[MultimodalModel.PromptKey].shape);
    }

    [Fact]
    public void Training_the_connectors_alone_lowers_the_loss_and_leaves_the_rest_frozen()
    {
        using var model = Build();
        foreach (var (_, root) in model.Components)
            Trainability.FreezeAll(root);
        var trainable = new List<(string, TorchSharp.Modules.Parameter)>();
        foreach (var (component, root) in model.Components.Where(c => c.Component.StartsWith("connector:", StringComparison.Ordinal)))
            foreach (var (name, p) in root.named_parameters())
            {
                p.requires_grad = true;
                trainable.Add(($"{component}.{name}", p));
            }
        var frozen = model.Llm.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var optimizer = new AdamWOptimizer([new AdamWOptimizer.Group("connectors", trainable, 3e-3, 0)]);
        using var batch = model.Collate([Sample(model, "the red circle."), Sample(model, "blue square.")]);
        double first = 0, last = 0;
        for (int step = 0; step < 25; step++)
        {
            using var scope = NewDisposeScope();
            var context = model.Context(batch, training: true);
            var loss = model.Loss(batch, context);
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step(1.0);
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < 0.7 * first, $"loss {first:F3} -> {last:F3} did not fall by 30%");
        foreach (var (key, before) in frozen)
            Assert.True(before.eq(model.Llm.state_dict()[key]).all().item<bool>(), $"frozen {key} changed");
    }

    [Fact]
    public void Generation_answers_about_media_and_prepends_missing_placeholders()
    {
        using var model = Build();
        var answer = model.Generate("what colour is it?", [FixturePaths.Of("image", "image_56x40.png")], [], new GenerationOptions { MaxNewTokens = 6 });
        Assert.False(string.IsNullOrEmpty(answer));
        var mismatch = Assert.Throws<InvalidDataException>(() => model.Generate("<image> <image> two?", [FixturePaths.Of("image", "image_56x40.png")], [],
            new GenerationOptions { MaxNewTokens = 2 }));
        Assert.Contains("2 <image> and 0 <audio> placeholder(s) but 1 image(s) and 0 audio clip(s)", mismatch.Message);
    }
}
