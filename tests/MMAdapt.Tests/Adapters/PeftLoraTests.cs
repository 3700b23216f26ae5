using MMAdapt.Adapters;
using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Peft;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Adapters;

/// <summary>PEFT interop against the fixtures' adapters and reference outputs.</summary>
public class PeftLoraTests
{
    public static TheoryData<string> Families => new() { "llama", "qwen2" };

    [Theory, MemberData(nameof(Families))]
    public void Fixture_peft_lora_reproduces_the_reference_logits_and_greedy_ids(string family)
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of(family));
        var config = Assert.IsType<LoraConfig>(PeftAdapter.Load(model, FixturePaths.Of(family, "peft_lora")));
        Assert.Equal(4, config.Rank);
        using var ids = FixturePaths.Expected(family, "input_ids");
        using var expected = FixturePaths.Expected(family, "logits_with_peft_lora");
        using var greedy = FixturePaths.Expected(family, "greedy_ids_with_peft_lora");
        using var _ = no_grad();
        using var logits = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        TensorAssert.Close(logits, expected, 1e-4, $"{family} logits with PEFT LoRA");
        var prompt = TensorAssert.Longs(ids[0]).Select(v => (int)v).ToArray();
        var generated = TextGenerator.Generate(model, [prompt], new GenerationOptions { MaxNewTokens = 6 })[0];
        Assert.Equal(TensorAssert.Longs(greedy).Select(v => (int)v), generated);

        // The base model alone inside the disable scope, and the adapter back after it.
        using var plain = FixturePaths.Expected(family, "logits");
        using (AdapterScopes.Disable(model))
        {
            using var baseLogits = model.Forward(new DecoderInput { InputIds = ids }).Logits;
            TensorAssert.Close(baseLogits, plain, 1e-4, "disabled adapters");
        }
        using var again = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        TensorAssert.Close(again, expected, 1e-4, "after the disable scope");
    }

    [Theory, MemberData(nameof(Families))]
    public void Merging_the_fixture_adapter_gives_the_same_logits(string family)
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of(family));
        PeftAdapter.Load(model, FixturePaths.Of(family, "peft_lora"));
        using var ids = FixturePaths.Expected(family, "input_ids");
        using var expected = FixturePaths.Expected(family, "logits_with_peft_lora");
        using var _ = no_grad();
        Assert.Empty(AdapterScopes.MergeAll(model));
        using var merged = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        TensorAssert.Close(merged, expected, 1e-4, "merged");
        using (AdapterScopes.Disable(model))
        {
            using var plain = FixturePaths.Expected(family, "logits");
            using var baseLogits = model.Forward(new DecoderInput { InputIds = ids }).Logits;
            TensorAssert.Close(baseLogits, plain, 1e-5, "disable unmerges");
        }
        using var remerged = model.Forward(new DecoderInput { InputIds = ids }).Logits;
        TensorAssert.Close(remerged, merged, 1e-6, "merged again after the scope");
    }

    [Fact]
    public void Saving_writes_peft_names_and_loads_back_exactly()
    {
        using var temp = new TempFolder();
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        var config = Assert.IsType<LoraConfig>(PeftAdapter.Load(model, FixturePaths.Of("llama", "peft_lora")));
        PeftAdapter.Save(model, temp.Path, config);
        using var original = SafetensorsFile.Open(FixturePaths.Of("llama", "peft_lora", "adapter_model.safetensors"));
        using var written = SafetensorsFile.Open(temp.File("adapter_model.safetensors"));
        Assert.Equal(original.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), written.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var info in original.Tensors)
        {
            using var a = original.Read(info.Name);
            using var b = written.Read(info.Name);
            Assert.True(a.eq(b).all().item<bool>(), info.Name);
        }
        var reread = Assert.IsType<LoraConfig>(PeftAdapter.ReadConfig(temp.Path));
        Assert.Equal((config.Rank, config.Alpha, config.Dropout, config.UseDora, config.UseRsLora, config.Init),
                     (reread.Rank, reread.Alpha, reread.Dropout, reread.UseDora, reread.UseRsLora, reread.Init));
        Assert.Equal(["q_proj", "v_proj"], reread.TargetModules!.Names!);
        Assert.Equal("LORA", reread.PeftType);
    }

    [Fact]
    public void An_adapter_whose_shapes_do_not_fit_names_the_tensor_and_both_shapes()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("llama", "peft_lora"));
        var tensors = new Dictionary<string, Tensor>();
        using (var file = SafetensorsFile.Open(Path.Combine(folder, "adapter_model.safetensors")))
            foreach (var t in file.Tensors)
                tensors[t.Name] = file.Read(t.Name);
        var name = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";
        tensors[name].Dispose();
        tensors[name] = zeros(40, 4);
        SafetensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors);
        foreach (var t in tensors.Values) t.Dispose();

        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        var e = Assert.Throws<CheckpointException>(() => PeftAdapter.Load(model, folder));
        Assert.Contains("model.layers.0.self_attn.q_proj.adapters.default.lora_B.weight: checkpoint [40,4], model expects [48,4]", e.Message);
        // A failed load leaves no half-attached adapter behind.
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains(".adapters."));
    }

    [Fact]
    public void An_adapter_for_another_architecture_is_refused()
    {
        using var temp = new TempFolder();
        var folder = temp.CopyOf(FixturePaths.Of("llama", "peft_lora"));
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"),
            File.ReadAllText(Path.Combine(folder, "adapter_config.json")).Replace("\"q_proj\"", "\"c_attn\""));
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        var e = Assert.Throws<ArgumentException>(() => PeftAdapter.Load(model, folder));
        Assert.Contains("target 'c_attn' matches no adaptable module; names that exist: down_proj, embed_tokens, gate_proj, k_proj, lm_head, o_proj, q_proj, up_proj, v_proj", e.Message);
        Assert.Contains("(e.g. model.layers.0.self_attn.q_proj)", e.Message);
    }
}
