using MMAdapt.Core.Modules;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Models.Chat;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Finetune.Multimodal;

public class ClassificationHeadTests
{
    /// <summary>Counts how often the LLM projection it sits on runs, leaving the output as it is.</summary>
    private sealed class CallCounter() : ProjectionAdapter(nameof(CallCounter))
    {
        public int Calls { get; private set; }

        public override Tensor Apply(Tensor input, Tensor baseOutput, ForwardContext? context)
        {
            Calls++;
            return baseOutput;
        }
    }

    [Fact]
    public void Mean_pooling_averages_only_valid_tokens_and_cls_takes_the_first()
    {
        using var features = tensor(new float[] { 1, 2, 3, 4, 100, 100, /* item 2 */ 5, 6, 7, 8, 9, 10 }, [2, 3, 2]);
        using var valid = tensor(new long[] { 1, 1, 0, 1, 1, 1 }, [2, 3]);
        using var mean = new ClassificationHead("audio", 2, 3, HeadPooling.Mean);
        using var cls = new ClassificationHead("audio", 2, 3, HeadPooling.Cls);

        Assert.Equal([2f, 3f, 7f, 8f], mean.Pool(features, valid).data<float>().ToArray());       // item 1: padding (100s) ignored
        Assert.Equal([34.6667, 35.3333, 7, 8], mean.Pool(features, null).data<float>().ToArray().Select(v => Math.Round((double)v, 4))); // 104/3, 106/3
        Assert.Equal([1f, 2f, 5f, 6f], cls.Pool(features, valid).data<float>().ToArray());
        Assert.Equal([2L, 3], mean.forward(mean.Pool(features, valid)).shape);
    }

    [Fact]
    public void Initial_weights_come_from_the_generator_and_carry_hugging_face_names()
    {
        using var a = new ClassificationHead("llm", 8, 4, HeadPooling.Mean, generator: new Generator(5));
        using var b = new ClassificationHead("llm", 8, 4, HeadPooling.Mean, generator: new Generator(5));
        using var c = new ClassificationHead("llm", 8, 4, HeadPooling.Mean, generator: new Generator(6));
        var names = a.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape))).ToList();
        Assert.Equal([("classifier.weight", "4x8"), ("classifier.bias", "4")], names);
        Assert.True(a.parameters().Zip(b.parameters()).All(p => p.First.allclose(p.Second, 0, 0)));
        Assert.False(a.parameters().First().allclose(c.parameters().First(), 0, 0));
        Assert.All(a.parameters(), p => Assert.True(p.abs().max().item<float>() <= 1 / Math.Sqrt(8)));
    }

    [Fact]
    public void AttachHead_from_code_builds_the_head_a_recipe_with_the_same_seed_builds()
    {
        var recipe = RecipeLoader.Load(FixturePaths.Of("recipes", "smoke-classify.yaml"));
        using var fromRecipe = RecipeModelBuilder.Build(recipe);
        using var fromCode = MultimodalModel.Load(recipe.Model, device: "cpu", seed: recipe.Seed);

        var head = fromCode.AttachHead("audio", labels: 3, HeadPooling.Mean, seed: recipe.Seed);
        Assert.Same(head, fromCode.Head);
        Assert.Equal(("audio", 48, 3, HeadPooling.Mean), (head.Component, head.Width, head.Labels, head.Pooling));
        Assert.True(head.parameters().Zip(fromRecipe.Head!.parameters()).All(p => p.First.allclose(p.Second, 0, 0)));
        Assert.Contains(fromCode.Components, c => c.Component == "head" && ReferenceEquals(c.Root, head));

        Assert.Throws<InvalidOperationException>(() => fromCode.AttachHead("audio", labels: 3));
        using var noVision = MultimodalModel.Load(recipe.Model, device: "cpu");
        Assert.Contains("cannot pool 'vision'", Assert.Throws<ArgumentException>(() => noVision.AttachHead("vision", labels: 3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => noVision.AttachHead("audio", labels: 1));
        Assert.Null(noVision.Head);
    }

    // A 1 s clip and a 0.3 s one, Whisper outputs trimmed: clips of different lengths in one batch.
    private static (MultimodalModel Model, MultimodalBatch Batch, CallCounter Counter) Build(string component, TempFolder temp)
    {
        var recipe = RecipeLoader.Load(FixturePaths.Of("recipes", "smoke-classify.yaml"));
        var stage = recipe.Stages[0];
        var model = RecipeModelBuilder.Build(recipe with
        {
            Model = recipe.Model with { Audio = recipe.Model.Audio! with { Trim = true } },
            Stages = [stage with { Head = stage.Head! with { Component = component } }],
        });
        var counter = new CallCounter();
        model.Llm.modules().OfType<AdaptableLinear>().First().Adapters.Add("counter", counter);
        var clips = new[] { 16000, 4800 }.Select((n, i) =>
        {
            var file = temp.File($"clip{i}.wav");
            File.WriteAllBytes(file, WavWriter.Pcm16Mono(Enumerable.Range(0, n).Select(t => (short)(8000 * Math.Sin(t * (0.1 + i)))).ToArray(), 16000));
            return file;
        }).ToList();
        var samples = clips.Select((clip, i) => model.EncodeConversation([ChatMessage.User("<audio>")], [], [clip], $"clip {i}")! with { ClassLabel = i }).ToList();
        return (model, model.Collate(samples), counter);
    }

    [Theory]
    [InlineData("audio", 48, false)]
    [InlineData("connector:audio", 64, false)]
    [InlineData("llm", 64, true)]
    public void A_head_pools_its_component_and_only_an_llm_head_runs_the_llm(string component, int width, bool runsLlm)
    {
        using var temp = new TempFolder();
        var (model, batch, counter) = Build(component, temp);
        using (model)
        using (batch)
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            Assert.NotEqual(batch.AudioSlots[0].Media.EncoderTokens, batch.AudioSlots[1].Media.EncoderTokens);
            Assert.Equal(width, model.Head!.Width);
            var context = model.Context(batch, training: false);
            var logits = model.ClassifyLogits(batch, context);
            Assert.Equal([2L, 3], logits.shape);
            Assert.Equal(runsLlm, counter.Calls > 0);

            // The same logits from features pooled by hand over each sample's real tokens.
            var pooled = component switch
            {
                "llm" => stack(Enumerable.Range(0, 2).Select(i =>
                    model.Forward(batch, context).LastHiddenState[i].narrow(0, 0, batch.AttentionMask[i].sum().item<long>()).mean([0])).ToArray()),
                "audio" => stack(Enumerable.Range(0, 2).Select(i =>
                    model.Audio!.Encode(batch.Audio!, null)[i].narrow(0, 0, batch.AudioSlots[i].Media.EncoderTokens).mean([0])).ToArray()),
                _ => stack(model.ConnectAudio(batch, model.Audio!.Encode(batch.Audio!, null), null).Select(p => p.mean([0])).ToArray()),
            };
            var expected = model.Head.forward(pooled);
            Assert.True((logits - expected).norm().item<float>() <= 1e-5 * expected.norm().item<float>());
            Assert.True(model.ClassifyLoss(batch, context).item<float>() > 0);
        }
    }

    [Fact]
    public void A_tower_head_needs_one_clip_per_sample_and_every_sample_a_label_in_range()
    {
        using var temp = new TempFolder();
        var (model, batch, _) = Build("audio", temp);
        using (model)
        using (batch)
        using (var scope = NewDisposeScope())
        {
            var clip = batch.AudioSlots[0].Media.Source;
            var text = model.EncodeConversation([ChatMessage.User("no sound here")], [], [], "text row")!;
            var two = model.EncodeConversation([ChatMessage.User("<audio><audio>")], [], [clip, clip], "two clips")!;
            using var mixed = model.Collate([text, two]);
            var error = Assert.Throws<InvalidDataException>(() => model.ClassifyLogits(mixed, model.Context(mixed, false)));
            Assert.Equal("text row: has 0 audio clip(s); a head over 'audio' needs exactly one per sample.", error.Message);

            var one = model.EncodeConversation([ChatMessage.User("<audio>")], [], [clip], "data.jsonl row 4")!;
            using var unlabelled = model.Collate([one]);
            error = Assert.Throws<InvalidDataException>(() => model.ClassifyLoss(unlabelled, model.Context(unlabelled, false)));
            Assert.Equal("data.jsonl row 4: class label missing; expected an integer 'label' in [0, 3).", error.Message);
            using var outOfRange = model.Collate([one with { ClassLabel = 3 }]);
            error = Assert.Throws<InvalidDataException>(() => model.ClassifyLoss(outOfRange, model.Context(outOfRange, false)));
            Assert.Equal("data.jsonl row 4: class label 3; expected an integer 'label' in [0, 3).", error.Message);
        }
    }
}
