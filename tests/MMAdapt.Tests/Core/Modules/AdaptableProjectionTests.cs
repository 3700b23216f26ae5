using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Core.Modules;

/// <summary>The adaptable projection and forward context are what adapters (next issue) build on.</summary>
public class AdaptableProjectionTests
{
    /// <summary>A rank-r delta <c>y += x·Aᵀ·Bᵀ</c> that records the contexts it saw.</summary>
    private sealed class RecordingDelta : ProjectionAdapter
    {
        private readonly Parameter a, b;
        public readonly List<ForwardContext?> Seen = [];

        public RecordingDelta(long inFeatures, long outFeatures, int seed) : base(nameof(RecordingDelta))
        {
            var g = new Generator((ulong)seed);
            a = new Parameter(randn(2, inFeatures, generator: g) * 0.1);
            b = new Parameter(randn(outFeatures, 2, generator: g) * 0.1);
            RegisterComponents();
        }

        public override Tensor Apply(Tensor input, Tensor baseOutput, ForwardContext? context)
        {
            Seen.Add(context);
            return baseOutput + nn.functional.linear(nn.functional.linear(input, a), b);
        }

        public override bool CanMerge => true;
        public override Tensor DeltaWeight() => b.matmul(a);
    }

    private static IEnumerable<(string Name, AdaptableLinear Linear)> Projections(nn.Module model) =>
        model.named_modules().Where(m => m.module is AdaptableLinear).Select(m => (m.name, (AdaptableLinear)m.module));

    [Fact]
    public void Every_llama_projection_is_adaptable_and_adapters_see_the_forward_context()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        var projections = Projections(model).ToList();
        // 7 per layer x 2 layers + LM head
        Assert.Equal(15, projections.Count);
        Assert.Contains(projections, p => p.Name == "model.layers.1.mlp.down_proj");

        using var ids = tensor(new long[,] { { 3, 1, 4, 1, 5 } });
        using var _ = no_grad();
        using var before = model.Forward(new DecoderInput { InputIds = ids }).Logits;

        var adapters = new List<RecordingDelta>();
        int seed = 0;
        foreach (var (name, linear) in projections.Where(p => p.Name.Contains("self_attn") || p.Name.Contains("mlp")))
        {
            var adapter = new RecordingDelta(linear.InFeatures, linear.OutFeatures, seed++);
            linear.Adapters.Add("probe", adapter);
            adapters.Add(adapter);
        }
        Assert.Contains("model.layers.0.self_attn.q_proj.adapters.probe.a", model.state_dict().Keys);

        var context = new ForwardContext { TokenModality = zeros(1, 5, dtype: ScalarType.Int64) };
        using var adapted = model.Forward(new DecoderInput { InputIds = ids, Context = context }).Logits;
        Assert.All(adapters, a => Assert.Same(context, Assert.Single(a.Seen)));
        Assert.True(TensorAssert.RelativeError(adapted, before) > 1e-3);

        // Merging folds every delta into the weights: same output, adapters no longer called.
        foreach (var (_, linear) in projections.Where(p => p.Linear.Adapters.Count > 0))
            linear.Merge("probe");
        using var merged = model.Forward(new DecoderInput { InputIds = ids, Context = context }).Logits;
        TensorAssert.Close(merged, adapted, 1e-5, "merged vs unmerged");
        Assert.All(adapters, a => Assert.Single(a.Seen));

        // Unmerging and disabling restores the base model exactly (up to fp32 rounding).
        foreach (var (_, linear) in projections.Where(p => p.Linear.Adapters.Count > 0))
        {
            linear.Unmerge("probe");
            linear.AdaptersEnabled = false;
        }
        using var restored = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        TensorAssert.Close(restored, before, 1e-6, "unmerged and disabled vs base");
    }

    [Fact]
    public void Adapter_names_are_validated_and_removal_unregisters()
    {
        using var linear = new AdaptableLinear(4, 3);
        using var adapter = new RecordingDelta(4, 3, 1);
        linear.Adapters.Add("one", adapter);
        Assert.Throws<ArgumentException>(() => linear.Adapters.Add("one", new RecordingDelta(4, 3, 2)));
        Assert.Throws<ArgumentException>(() => linear.Adapters.Add("a.b", new RecordingDelta(4, 3, 2)));
        var missing = Assert.Throws<KeyNotFoundException>(() => linear.Adapters["two"]);
        Assert.Contains("attached: one", missing.Message);
        Assert.Contains("adapters.one.a", linear.state_dict().Keys);
        Assert.Same(adapter, linear.Adapters.Remove("one"));
        Assert.DoesNotContain(linear.state_dict().Keys, k => k.StartsWith("adapters."));
        Assert.Equal(["weight"], linear.state_dict().Keys.ToArray());
    }

    [Fact]
    public void Embedding_rejects_ids_outside_the_vocabulary()
    {
        using var embedding = new AdaptableEmbedding(10, 4);
        using var ids = tensor(new long[,] { { 1, 10 } });
        var e = Assert.Throws<ArgumentException>(() => embedding.Forward(ids));
        Assert.Contains("Token id 10 is outside the vocabulary [0, 10)", e.Message);
    }

    [Fact]
    public void Aux_sink_sums_losses_and_detaches_statistics()
    {
        var sink = new AuxSink();
        Assert.Null(sink.TotalLoss());
        using var w = tensor(2.0f, requires_grad: true);
        sink.AddLoss("a", w * 3);
        sink.AddLoss("b", w * w);
        sink.AddStatistic("load", w * 1);
        using var total = sink.TotalLoss()!;
        Assert.Equal(10.0f, total.item<float>());
        Assert.False(sink.Statistics[0].Value.requires_grad);
        total.backward();
        Assert.Equal(7.0f, w.grad!.item<float>());
    }
}
