using MMAdapt.Adapters.Training;
using MMAdapt.Core.Modules;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Bottleneck;

/// <summary>Shared bodies of the sublayer adapter tests (bottleneck, Soft-MoA, PILL): a loss on a real batch, and
/// "a few optimizer steps move every adapter tensor and no frozen one".</summary>
internal static class AdapterTraining
{
    /// <summary>Next-token cross-entropy of the llama fixture on <paramref name="ids"/> <c>[batch, tokens]</c>.</summary>
    public static Tensor LanguageModelLoss(LlamaForCausalLM model, Tensor ids, ForwardContext? context = null)
    {
        using var scope = NewDisposeScope();
        var logits = model.Forward(new DecoderInput { InputIds = ids, Context = context }).Logits; // [batch, tokens, vocab]
        long vocab = logits.shape[2];
        var predicted = logits[.., ..^1].reshape(-1, vocab);
        var targets = ids[.., 1..].reshape(-1);
        return nn.functional.cross_entropy(predicted, targets).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Freezes <paramref name="root"/>, unfreezes its adapters, takes <paramref name="steps"/> AdamW steps (no weight
    /// decay, so only gradients move tensors) on <paramref name="loss"/>, and asserts that every trainable tensor changed
    /// and every frozen one did not. Two steps are the fewest that reach every tensor: zero-initialised up projections
    /// make the first step's gradient of everything before them exactly zero.
    /// </summary>
    /// <returns>The names of the trainable tensors.</returns>
    public static IReadOnlyList<string> AssertStepsMoveEveryAdapterTensor(nn.Module root, Func<Tensor> loss, int steps = 2, double lr = 1e-2)
    {
        Trainability.FreezeAll(root);
        int count = Trainability.UnfreezeAdapters(root);
        Assert.True(count > 0, "no adapter tensors are trainable");
        var named = ModuleParameters.UniqueNamed(root);
        var before = named.ToDictionary(p => p.Name, p => p.Parameter.detach().clone());
        var trainable = named.Where(p => p.Parameter.requires_grad).ToList();
        using (var optimizer = optim.AdamW(trainable.Select(p => p.Parameter), lr: lr, weight_decay: 0))
            for (int i = 0; i < steps; i++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                loss().backward();
                optimizer.step();
            }
        foreach (var (name, parameter) in named)
        {
            using var same = parameter.detach().eq(before[name]).all();
            if (parameter.requires_grad)
                Assert.False(same.item<bool>(), $"{name} did not change after {steps} steps");
            else
                Assert.True(same.item<bool>(), $"frozen {name} changed");
        }
        foreach (var t in before.Values)
            t.Dispose();
        return trainable.Select(p => p.Name).ToList();
    }

    /// <summary>Asserts that <paramref name="step"/>, run a few times in its own dispose scope, leaves no live tensor behind.</summary>
    public static void AssertNoLeaks(Action step)
    {
        for (int i = 0; i < 2; i++) // warm-up: optimizer state and caches are created on the first steps
            Scoped(step);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 4; i++)
            Scoped(step);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private static void Scoped(Action step)
    {
        using var scope = NewDisposeScope();
        step();
    }
}
