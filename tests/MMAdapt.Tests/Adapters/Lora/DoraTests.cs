using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Peft;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Modules;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters.Lora;

/// <summary>DoRA against its formula, computed here from A, B, W and m: <c>y = m / ‖W + s·BA‖ ⊙ (W + s·BA) x + b</c>,
/// the row norm detached from the graph (Liu et al., 2024, §4.3; PEFT does the same).</summary>
public class DoraTests
{
    private const double Scale = 1.5;

    private static (AdaptableLinear Host, LoraLinear Dora) Build(Generator generator)
    {
        var host = new AdaptableLinear(12, 10, hasBias: true);
        host.ResetParameters(generator);
        var dora = new LoraLinear(12, 10, rank: 3, Scale, useDora: true, init: LoraInit.Random, generator: generator);
        host.Adapters.Add("dora", dora);
        using (no_grad())
            dora.Magnitude!.mul_(rand(10, generator: generator) + 0.5);   // a trained magnitude, not ‖W + s·BA‖
        return (host, dora);
    }

    [Fact]
    public void Forward_and_gradients_follow_the_formula_with_the_norm_detached()
    {
        using var generator = new Generator(11);
        var (host, dora) = Build(generator);
        using var x = randn(new long[] { 2, 5, 12 }, generator: generator);

        using var y = host.Forward(x);
        y.sum().backward();

        // The same computation written out on copies that carry their own gradients.
        using var a = dora.A.detach().clone().requires_grad_(true);
        using var b = dora.B.detach().clone().requires_grad_(true);
        using var m = dora.Magnitude!.detach().clone().requires_grad_(true);
        using var adapted = host.Weight.detach() + Scale * b.matmul(a);                   // [out, in]
        using var norm = adapted.pow(2).sum(1).sqrt().detach();                            // [out], no gradient
        using var expected = (m / norm) * x.matmul(adapted.t()) + host.Bias!.detach();     // [2, 5, out]
        expected.sum().backward();

        TensorAssert.Close(y, expected, 1e-6, "DoRA output");
        TensorAssert.Close(dora.A.grad!, a.grad!, 1e-6, "dL/dA");
        TensorAssert.Close(dora.B.grad!, b.grad!, 1e-6, "dL/dB");
        TensorAssert.Close(dora.Magnitude!.grad!, m.grad!, 1e-6, "dL/dm");
        host.Dispose();
    }

    [Fact]
    public void Merging_gives_the_unmerged_output_and_unmerging_restores_the_weight()
    {
        using var generator = new Generator(12);
        var (host, _) = Build(generator);
        using var _ = no_grad();
        using var x = randn(new long[] { 3, 12 }, generator: generator);
        using var weight = host.Weight.clone();
        using var unmerged = host.Forward(x);

        host.Merge("dora");
        Assert.False(AdapterCases.Same(host.Weight, weight));
        using var merged = host.Forward(x);
        TensorAssert.Close(merged, unmerged, 1e-5, "merged vs unmerged");

        host.Unmerge("dora");
        TensorAssert.Close(host.Weight, weight, 1e-6, "weight after unmerging");
        using var again = host.Forward(x);
        TensorAssert.Close(again, unmerged, 1e-6, "unmerged again");
        host.Dispose();
    }

    [Fact]
    public void Unmerging_dora_under_a_later_merged_lora_takes_both_out_and_puts_the_lora_back()
    {
        using var generator = new Generator(13);
        var (host, _) = Build(generator);
        var lora = new LoraLinear(12, 10, rank: 2, scale: 2, init: LoraInit.Random, generator: generator);
        host.Adapters.Add("lora", lora);                   // applied after DoRA, as it is merged after it
        using var _ = no_grad();
        using var x = randn(new long[] { 3, 12 }, generator: generator);
        using var weight = host.Weight.clone();
        using var unmerged = host.Forward(x);
        host.Merge("dora");
        host.Merge("lora");
        using var merged = host.Forward(x);
        TensorAssert.Close(merged, unmerged, 1e-5, "both merged");

        // Dividing W' + ΔL by DoRA's row factor would be wrong: the LoRA merged later comes out first and goes back after.
        host.Unmerge("dora");
        Assert.Equal(["lora"], host.Adapters.Merged);
        using var withLora = weight + 2 * lora.B.matmul(lora.A);
        TensorAssert.Close(host.Weight, withLora, 1e-6, "W + ΔL after unmerging DoRA");
        host.Unmerge("lora");
        TensorAssert.Close(host.Weight, weight, 1e-6, "W after unmerging both");
        host.Dispose();
    }

    [Fact]
    public void A_dora_adapter_saves_its_magnitude_under_peft_names_and_loads_back()
    {
        using var temp = new TempFolder();
        using var model = AdapterCases.Model();
        using var ids = AdapterCases.InputIds();
        var config = AdapterCases.Lora() with { UseDora = true, InitLoraWeights = AdapterCases.Json("false") };
        var attached = LoraAttacher.Attach(model, "llm", config, seed: 4);
        using (no_grad())
            foreach (var adapter in attached.Values.Cast<LoraLinear>())
                adapter.Magnitude!.mul_(1.25);
        using var expected = AdapterCases.Logits(model, ids);
        PeftAdapter.Save(model, temp.Path, config);

        using (var file = SafetensorsFile.Open(temp.File(PeftAdapter.WeightsFile)))
        {
            var names = file.Tensors.Select(t => t.Name).ToHashSet();
            Assert.Equal(12, names.Count);
            foreach (var module in attached.Keys)
                Assert.Contains($"base_model.model.{module}.lora_magnitude_vector", names);
            Assert.Equal([16], file.Info("base_model.model.model.layers.0.self_attn.v_proj.lora_magnitude_vector").Shape);
        }

        using var reloaded = AdapterCases.Model();
        var read = Assert.IsType<LoraConfig>(PeftAdapter.Load(reloaded, temp.Path));
        Assert.True(read.UseDora);
        using var logits = AdapterCases.Logits(reloaded, ids);
        Assert.True(AdapterCases.Same(logits, expected), "reloaded DoRA logits");
    }
}
