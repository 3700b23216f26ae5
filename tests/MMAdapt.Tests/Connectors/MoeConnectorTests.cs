using MMAdapt.Adapters.Common;
using MMAdapt.Adapters.Routing;
using MMAdapt.Connectors;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Modules;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Connectors;

public class MoeConnectorTests
{
    private const long In = ConnectorCases.In, Out = ConnectorCases.Out;

    private static MoeConnector Moe(string strategy, int experts = 4, int depth = 2, double routerStd = 0.5, IReadOnlyList<string>? auxLosses = null) =>
        (MoeConnector)ConnectorFactory.Create(new MoeConnectorOptions
        {
            Experts = experts, Depth = depth, Strategy = strategy, AuxLosses = auxLosses ?? [], Router = new RouterOptions { InitStd = routerStd },
        }, In, Out, generator: new Generator(11));

    /// <summary>The slow reference: route, then for each expert its own tokens through its own MLP, gated, added back.</summary>
    private static Tensor LoopReference(MoeConnector moe, Tensor features)
    {
        var x = features.reshape(-1, In);                                                 // [N, in]
        var gates = moe.Router.Forward(x, new RoutingInputs()).Gates;                     // [N, E]
        var y = zeros(x.shape[0], Out);
        for (int e = 0; e < moe.Experts; e++)
        {
            var tokens = gates.select(1, e).nonzero().squeeze(1);
            if (tokens.numel() == 0)
                continue;
            var h = x.index_select(0, tokens);
            for (int j = 0; j < moe.Depth; j++)
            {
                var layer = moe.ExpertStack.Layers[j];
                h = nn.functional.linear(h, layer.Weight[e], layer.Bias[e]);
                if (j < moe.Depth - 1)
                    h = AdapterActivations.Apply(moe.Activation, h);
            }
            y = y.index_add(0, tokens, h * gates.index_select(0, tokens).narrow(1, e, 1), 1);
        }
        return y.view(features.shape[0], features.shape[1], Out);
    }

    private static Dictionary<string, Tensor> RunAndGradients(MoeConnector moe, Tensor features, Func<Tensor, Tensor> forward, out Tensor output)
    {
        moe.zero_grad();
        var y = forward(features);
        (y * randn(y.shape, generator: new Generator(9))).sum().backward();
        output = y.detach();
        return moe.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }

    [Theory]
    [InlineData("softmax_topk:k=1", 2)]
    [InlineData("softmax_topk:k=2,renorm=true", 3)]
    [InlineData("topk_softmax:k=2", 2)]
    [InlineData("dense", 2)]
    [InlineData("dense", 1)]
    public void Batched_experts_equal_a_per_expert_loop_in_outputs_and_gradients(string strategy, int depth)
    {
        using var moe = Moe(strategy, depth: depth);
        moe.eval();
        using var scope = NewDisposeScope();
        var features = ConnectorCases.Features(2, 9, 3);
        var batchedGrads = RunAndGradients(moe, features, f => moe.Forward(f), out var batched);
        var loopGrads = RunAndGradients(moe, features, f => LoopReference(moe, f), out var loop);
        TensorAssert.Close(batched, loop, 1e-5, $"{strategy} outputs");
        foreach (var (name, grad) in batchedGrads)
            TensorAssert.Close(grad, loopGrads[name], 1e-5, $"{strategy} gradient of {name}");
        Assert.True(batchedGrads["router.weight"].abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Expert_keys_are_stacked_mlp_connector_keys()
    {
        using var moe = Moe("softmax_topk:k=2,renorm=true", experts: 3);
        var shapes = moe.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        Assert.Equal(new[] { "router.weight", "experts.linear_1.weight", "experts.linear_1.bias", "experts.linear_2.weight", "experts.linear_2.bias" },
            shapes.Keys);
        Assert.Equal(new long[] { 3, In }, shapes["router.weight"]);
        Assert.Equal(new long[] { 3, Out, In }, shapes["experts.linear_1.weight"]);
        Assert.Equal(new long[] { 3, Out }, shapes["experts.linear_1.bias"]);
        Assert.Equal(new long[] { 3, Out, Out }, shapes["experts.linear_2.weight"]);
    }

    private static string SaveMlp(TempFolder folder, string file, int seed, int depth = 2, long inFeatures = In)
    {
        using var mlp = new MlpConnector(inFeatures, Out, depth, generator: new Generator((ulong)seed));
        var path = folder.File(file);
        SafetensorsWriter.Write(path, mlp.state_dict().Select(p => KeyValuePair.Create(ConnectorInit.LlavaPrefix + p.Key, p.Value)));
        return path;
    }

    [Theory]
    [InlineData("softmax_topk:k=2,renorm=true")]
    [InlineData("softmax_topk:k=1,renorm=true")]
    [InlineData("topk_softmax:k=3")]
    [InlineData("dense")]
    public void Upcycled_experts_reproduce_the_mlp_connector_whatever_the_router(string strategy)
    {
        // Every strategy here gives gates that sum to 1 per token, so identical experts sum to one expert.
        using var folder = new TempFolder();
        var path = SaveMlp(folder, "mlp.safetensors", seed: 5);
        using var mlp = new MlpConnector(In, Out);
        ConnectorInit.LoadWeights(mlp, path, ConnectorInit.LlavaPrefix);
        using var moe = Moe(strategy, routerStd: 2.0);                   // a far-from-uniform router
        using var routerBefore = moe.Router.Weight.detach().clone();
        ConnectorInit.UpcycleExperts(moe, path, ConnectorInit.LlavaPrefix);

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var features = ConnectorCases.Features(2, 9, 4);
        TensorAssert.Close(moe.Forward(features), mlp.Forward(features), 1e-6, strategy);
        Assert.True(routerBefore.equal(moe.Router.Weight).all().item<bool>(), "upcycling must leave the router as it was");
    }

    [Fact]
    public void Upcycling_noise_makes_the_experts_differ()
    {
        using var folder = new TempFolder();
        var path = SaveMlp(folder, "mlp.safetensors", seed: 5);
        using var moe = Moe("softmax_topk:k=2,renorm=true");
        ConnectorInit.UpcycleExperts(moe, path, ConnectorInit.LlavaPrefix, noiseStd: 1e-3, generator: new Generator(3));
        using var scope = NewDisposeScope();
        var weights = moe.ExpertStack.Layers[0].Weight.detach();
        var spread = (weights[0] - weights[1]).abs().max().item<float>();
        Assert.InRange(spread, 1e-5f, 1e-2f);
    }

    [Fact]
    public void ExpertsFrom_puts_each_checkpoint_in_its_slot()
    {
        using var folder = new TempFolder();
        var paths = new[] { SaveMlp(folder, "a.safetensors", seed: 21), SaveMlp(folder, "b.safetensors", seed: 22) };
        using var moe = Moe("softmax_topk:k=1", experts: 2);
        ConnectorInit.ExpertsFrom(moe, paths, ConnectorInit.LlavaPrefix);
        for (int e = 0; e < 2; e++)
        {
            using var source = new MlpConnector(In, Out);
            ConnectorInit.LoadWeights(source, paths[e], ConnectorInit.LlavaPrefix);
            using var scope = NewDisposeScope();
            for (int j = 0; j < 2; j++)
            {
                Assert.True(moe.ExpertStack.Layers[j].Weight[e].equal(source.Layers[j].Weight).all().item<bool>(), $"expert {e} linear_{j + 1}.weight");
                Assert.True(moe.ExpertStack.Layers[j].Bias[e].equal(source.Layers[j].Bias!).all().item<bool>(), $"expert {e} linear_{j + 1}.bias");
            }
        }
    }

    [Fact]
    public void ExpertsFrom_refuses_a_count_mismatch_and_a_misfit_checkpoint_without_copying()
    {
        using var folder = new TempFolder();
        var good = SaveMlp(folder, "good.safetensors", seed: 21);
        var narrow = SaveMlp(folder, "narrow.safetensors", seed: 22, inFeatures: In - 2);
        using var moe = Moe("softmax_topk:k=1", experts: 2);
        moe.Name = "image_connector";
        var count = Assert.Throws<ArgumentException>(() => ConnectorInit.ExpertsFrom(moe, [good, good, good], ConnectorInit.LlavaPrefix));
        Assert.Contains("3 checkpoints", count.Message);
        Assert.Contains("2 experts", count.Message);
        Assert.Contains("image_connector", count.Message);

        using var before = moe.ExpertStack.Layers[0].Weight.detach().clone();
        var misfit = Assert.Throws<CheckpointException>(() => ConnectorInit.ExpertsFrom(moe, [good, narrow], ConnectorInit.LlavaPrefix));
        Assert.Contains("linear_1.weight", misfit.Message);
        Assert.Contains($"[{Out},{In - 2}]", misfit.Message);
        Assert.True(before.equal(moe.ExpertStack.Layers[0].Weight).all().item<bool>(), "a failed ExpertsFrom must copy nothing");
    }

    [Fact]
    public void Aux_losses_go_to_the_sink_in_training_only()
    {
        using var moe = Moe("softmax_topk:k=2,renorm=true", auxLosses: ["load_balance:coef=0.01", "z_loss:coef=0.001"]);
        moe.Name = "image_connector";
        using var scope = NewDisposeScope();
        var features = ConnectorCases.Features(2, 6, 5);
        var mask = ones(2, 6, dtype: ScalarType.Bool).index_put_(tensor(false), tensor(new long[] { 1 }), tensor(new long[] { 5 }));

        moe.train();
        var training = new ForwardContext { Training = true, AttentionMask = mask };
        using (training.Sink)
        {
            var y = moe.Forward(features, training);
            Assert.Equal(new[] { "image_connector/load_balance", "image_connector/z_loss" }, training.Sink.Losses.Select(l => l.Name));
            (y.sum() + training.Sink.TotalLoss()!).backward();
            Assert.True(moe.Router.Weight.grad!.abs().sum().item<float>() > 0);
        }

        moe.eval();
        var inference = new ForwardContext();
        using (inference.Sink)
        {
            moe.Forward(features, inference);
            Assert.Empty(inference.Sink.Losses);
        }
    }

    [Fact]
    public void Top_k_overrides_the_strategy_k()
    {
        var options = new MoeConnectorOptions { Experts = 4, TopK = 1 };
        Assert.Equal(new SoftmaxTopK(1, true), options.ResolveStrategy());
        var dense = Assert.Throws<ArgumentException>(() => new MoeConnectorOptions { TopK = 1, Strategy = "dense" }.Validate());
        Assert.Contains("'top_k'", dense.Message);
    }
}
