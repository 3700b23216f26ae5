using MMAdapt.Adapters;
using MMAdapt.Adapters.Training;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Lora;

/// <summary>Shared bodies over every adapter kind: identity at initialisation, training moves every adapter tensor and
/// no base weight, a trained adapter merges to the same logits, and repeated steps leak no tensors.</summary>
public class AdapterTrainingTests
{
    public static TheoryData<string> Kinds => AdapterCases.Kinds;

    [Theory, MemberData(nameof(Kinds))]
    public void Attaching_leaves_the_logits_unchanged(string kind)
    {
        using var model = AdapterCases.Model();
        using var ids = AdapterCases.InputIds();
        using var before = AdapterCases.Logits(model, ids);
        var attached = AdapterCases.Attach(model, AdapterCases.Configs[kind]);
        Assert.NotEmpty(attached);
        using var after = AdapterCases.Logits(model, ids);
        // B = 0 (A = 0 on embeddings), DoRA's m = ‖W‖, IA3's l = 1: the adapted path adds exactly zero.
        Assert.True(AdapterCases.Same(after, before), $"{kind}: relative change {TensorAssert.RelativeError(after, before):E2}");
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Training_moves_every_adapter_tensor_and_no_base_weight(string kind)
    {
        using var model = AdapterCases.Model();
        using var ids = AdapterCases.InputIds();
        AdapterCases.Attach(model, AdapterCases.Configs[kind]);
        Trainability.FreezeAll(model);
        Assert.Equal(AdapterCases.TensorCounts[kind], Trainability.UnfreezeAdapters(model));
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        Assert.All(trainable, p => Assert.True(Trainability.IsAdapterParameter(p.name), p.name));
        var adapterStart = AdapterCases.Snapshot(model, name => Trainability.IsAdapterParameter(name));
        var baseStart = AdapterCases.Snapshot(model, name => !Trainability.IsAdapterParameter(name));
        using var optimizer = optim.AdamW(trainable.Select(p => p.parameter), lr: 1e-2, weight_decay: 0);

        AdapterCases.Step(model, ids, optimizer);
        // A zero-initialised half (LoRA's B, the embedding's A) gets a gradient at once; its partner's gradient is
        // zero until then (d/dA of B·A·x is Bᵀ·…), as in PEFT, so the partner moves at the second step.
        var moved = trainable.Where(p => AdapterCases.MaxChange(p.parameter, adapterStart[p.name]) > 1e-4).Select(p => p.name).ToList();
        Assert.NotEmpty(moved);
        AdapterCases.Step(model, ids, optimizer);
        foreach (var (name, parameter) in trainable)
            Assert.True(AdapterCases.MaxChange(parameter, adapterStart[name]) > 1e-4, $"{kind}: {name} did not move");
        foreach (var (name, parameter) in model.named_parameters().Where(p => !Trainability.IsAdapterParameter(p.name)))
            Assert.True(AdapterCases.Same(parameter, baseStart[name]), $"{kind}: base weight {name} changed");
        AdapterCases.DisposeAll(adapterStart.Values.Concat(baseStart.Values));
    }

    [Theory, MemberData(nameof(Kinds))]
    public void A_trained_adapter_merged_gives_the_unmerged_logits_and_unmerging_restores_the_base(string kind)
    {
        using var model = AdapterCases.Model();
        using var ids = AdapterCases.InputIds();
        using var plain = AdapterCases.Logits(model, ids);
        var baseWeights = AdapterCases.Snapshot(model, name => true);
        AdapterCases.Attach(model, AdapterCases.Configs[kind]);
        AdapterCases.TrainAdapters(model, ids, steps: 3);
        using var unmerged = AdapterCases.Logits(model, ids);
        Assert.True(TensorAssert.RelativeError(unmerged, plain) > 1e-4, $"{kind}: training changed nothing");

        Assert.Empty(AdapterScopes.MergeAll(model));
        using var merged = AdapterCases.Logits(model, ids);
        TensorAssert.Close(merged, unmerged, 1e-5, $"{kind}: merged vs unmerged");
        using (AdapterScopes.Disable(model))
        {
            using var disabled = AdapterCases.Logits(model, ids);
            TensorAssert.Close(disabled, plain, 1e-6, $"{kind}: disabled (unmerged) vs base");
            foreach (var (name, parameter) in model.named_parameters().Where(p => baseWeights.ContainsKey(p.name)))
                TensorAssert.Close(parameter, baseWeights[name], 1e-6, $"{kind}: {name} after unmerging");
        }
        using var remerged = AdapterCases.Logits(model, ids);
        TensorAssert.Close(remerged, unmerged, 1e-5, $"{kind}: merged again after the scope");
        AdapterCases.DisposeAll(baseWeights.Values);
    }

    [Theory, MemberData(nameof(Kinds))]
    public void On_a_bf16_model_adapters_are_float32_and_train_and_merge(string kind)
    {
        using var model = MMAdapt.Models.Llama.LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"), ScalarType.BFloat16);
        using var ids = AdapterCases.InputIds();
        using var before = AdapterCases.Logits(model, ids);
        var attached = AdapterCases.Attach(model, AdapterCases.Configs[kind]);
        // PEFT's autocast_adapter_dtype: half-precision adapter weights are upcast to float32.
        Assert.All(attached.Values.SelectMany(a => a.parameters()), p => Assert.Equal(ScalarType.Float32, p.dtype));
        using var identity = AdapterCases.Logits(model, ids);
        Assert.True(AdapterCases.Same(identity, before), kind);

        AdapterCases.TrainAdapters(model, ids, steps: 2);
        using var unmerged = AdapterCases.Logits(model, ids);
        Assert.Empty(AdapterScopes.MergeAll(model));
        using var merged = AdapterCases.Logits(model, ids);
        TensorAssert.Close(merged, unmerged, 2e-2, $"{kind}: bf16 merged vs unmerged (one bf16 rounding of the weights)");
    }

    [Fact]
    public void Repeated_training_steps_with_every_kind_attached_leak_no_tensors()
    {
        using var model = AdapterCases.Model();
        using var ids = AdapterCases.InputIds();
        AdapterCases.Attach(model, AdapterCases.Configs["lora"], "lora");
        AdapterCases.Attach(model, AdapterCases.Lora() with { UseDora = true, TargetModules = MMAdapt.Adapters.Targeting.ModuleSelector.Of("k_proj", "o_proj") }, "dora");
        AdapterCases.Attach(model, AdapterCases.Configs["embedding"], "embedding");
        AdapterCases.Attach(model, AdapterCases.Configs["ia3_feedforward"], "ia3");
        Trainability.FreezeAll(model);
        Trainability.UnfreezeAdapters(model);
        using var optimizer = optim.AdamW(model.parameters().Where(p => p.requires_grad), lr: 1e-2);
        // Two warm-up steps create the optimiser's moment tensors; from then on the count must stay flat.
        for (int i = 0; i < 2; i++)
            AdapterCases.Step(model, ids, optimizer);
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++)
        {
            AdapterCases.Step(model, ids, optimizer);
            using var logits = AdapterCases.Logits(model, ids);
        }
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
