using MMAdapt.Core.Checkpoints;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Models;

/// <summary>Parity with the independent float32 reference outputs of the tiny Llama and Qwen2 fixtures.</summary>
public class LlamaParityTests
{
    public static TheoryData<string> Families => new() { "llama", "qwen2" };

    [Theory, MemberData(nameof(Families))]
    public void Logits_match_the_reference_within_1e_4(string family)
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of(family));
        using var ids = FixturePaths.Expected(family, "input_ids");
        using var expected = FixturePaths.Expected(family, "logits");
        using var _ = no_grad();
        var output = model.Forward(new DecoderInput { InputIds = ids });
        TensorAssert.Close(output.Logits, expected, 1e-4, $"{family} logits");
        output.Logits.Dispose();
        output.LastHiddenState.Dispose();
    }

    [Theory, MemberData(nameof(Families))]
    public void Cached_greedy_decoding_reproduces_the_reference_ids(string family)
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of(family));
        using var ids = FixturePaths.Expected(family, "input_ids");
        using var greedy = FixturePaths.Expected(family, "greedy_ids");
        var prompt = TensorAssert.Longs(ids[0]).Select(v => (int)v).ToArray();
        var expected = TensorAssert.Longs(greedy).Select(v => (int)v).ToArray();

        var cached = TextGenerator.Generate(model, [prompt], new GenerationOptions { MaxNewTokens = expected.Length });
        var uncached = TextGenerator.Generate(model, [prompt], new GenerationOptions { MaxNewTokens = expected.Length, UseCache = false });
        Assert.Equal(expected, cached[0]);
        Assert.Equal(expected, uncached[0]);
    }

    [Theory, MemberData(nameof(Families))]
    public void Left_padded_batch_equals_one_at_a_time_and_uncached(string family)
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of(family));
        using var ids = FixturePaths.Expected(family, "input_ids");
        var row0 = TensorAssert.Longs(ids[0]).Select(v => (int)v).ToArray();
        var row1 = TensorAssert.Longs(ids[1]).Select(v => (int)v).ToArray();
        int[][] prompts = [row1[..3], row0[..7], row1[..11]];
        var options = new GenerationOptions { MaxNewTokens = 8 };

        var batched = TextGenerator.Generate(model, prompts, options);
        var uncachedBatch = TextGenerator.Generate(model, prompts, options with { UseCache = false });
        for (int i = 0; i < prompts.Length; i++)
        {
            var single = TextGenerator.Generate(model, [prompts[i]], options);
            Assert.Equal(8, single[0].Count);
            Assert.Equal(single[0], batched[i]);
            Assert.Equal(single[0], uncachedBatch[i]);
        }
    }

    [Theory, MemberData(nameof(Families))]
    public void Bf16_weights_halve_memory_and_stay_close(string family)
    {
        using var fp32 = LlamaForCausalLM.FromPretrained(FixturePaths.Of(family));
        using var bf16 = LlamaForCausalLM.FromPretrained(FixturePaths.Of(family), ScalarType.BFloat16);
        static long Bytes(nn.Module m) => m.parameters().Sum(p => p.numel() * p.element_size());
        Assert.Equal(ScalarType.BFloat16, bf16.Dtype);
        Assert.Equal(Bytes(fp32) / 2, Bytes(bf16));

        using var ids = FixturePaths.Expected(family, "input_ids");
        using var expected = FixturePaths.Expected(family, "logits");
        using var _ = no_grad();
        var output = bf16.Forward(new DecoderInput { InputIds = ids });
        Assert.Equal(ScalarType.Float32, output.Logits.dtype);
        double error = TensorAssert.RelativeError(output.Logits, expected);
        Assert.InRange(error, 1e-6, 3e-2); // bf16 rounding is visible but small
    }

    [Theory, MemberData(nameof(Families))]
    public void State_dict_keys_equal_the_checkpoint_keys(string family)
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of(family));
        using var checkpoint = SafetensorsFile.Open(FixturePaths.Of(family, "model.safetensors"));
        var fileKeys = checkpoint.Tensors.Select(t => t.Name).ToHashSet();
        var modelKeys = model.state_dict().Keys.ToHashSet();
        if (model.Config.TieWordEmbeddings)
            fileKeys.Add("lm_head.weight"); // tied: the module exposes the shared weight under both names
        Assert.Equal(fileKeys.OrderBy(k => k, StringComparer.Ordinal), modelKeys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var info in checkpoint.Tensors)
            Assert.Equal(info.Shape, model.state_dict()[info.Name].shape);
    }

    [Fact]
    public void Qwen2_has_qkv_bias_and_a_tied_head()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("qwen2"));
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", keys);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", keys);
        Assert.Same(model.Model.EmbedTokens.Weight, model.LmHead.Weight);
    }

    [Fact]
    public void Sampling_is_reproducible_with_a_seed_and_varies_across_seeds()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        int[] prompt = [1, 5, 9];
        var options = new GenerationOptions { MaxNewTokens = 12, Temperature = 1.5, TopP = 0.95, Seed = 7 };
        var a = TextGenerator.Generate(model, [prompt], options)[0];
        var b = TextGenerator.Generate(model, [prompt], options)[0];
        Assert.Equal(a, b);
        var others = Enumerable.Range(8, 5).Select(s => TextGenerator.Generate(model, [prompt], options with { Seed = s })[0]).ToList();
        Assert.Contains(others, o => !o.SequenceEqual(a));
    }

    [Fact]
    public void Generation_stops_at_a_stop_token_and_keeps_it()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        using var ids = FixturePaths.Expected("llama", "input_ids");
        using var greedy = FixturePaths.Expected("llama", "greedy_ids");
        var prompt = TensorAssert.Longs(ids[0]).Select(v => (int)v).ToArray();
        var expected = TensorAssert.Longs(greedy).Select(v => (int)v).ToArray();
        var stop = expected[2];
        var output = TextGenerator.Generate(model, [prompt], new GenerationOptions { MaxNewTokens = 6, StopTokenIds = [stop] })[0];
        int firstStop = Array.IndexOf(expected, stop);
        Assert.Equal(expected[..(firstStop + 1)], output);
    }

    [Fact]
    public void Repeated_generation_leaks_no_tensors()
    {
        using var model = LlamaForCausalLM.FromPretrained(FixturePaths.Of("llama"));
        int[][] prompts = [[1, 2, 3], [4, 5, 6, 7, 8]];
        var options = new GenerationOptions { MaxNewTokens = 5 };
        TextGenerator.Generate(model, prompts, options); // warm-up
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++)
            TextGenerator.Generate(model, prompts, options with { Temperature = 0.8, Seed = i });
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
    }
}
