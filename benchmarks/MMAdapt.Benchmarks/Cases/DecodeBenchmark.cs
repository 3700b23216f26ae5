using System.Diagnostics;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using static TorchSharp.torch;

namespace MMAdapt.Benchmarks.Cases;

/// <summary>
/// Generation speed of a randomly initialised Llama-architecture decoder (about 30M parameters, 8 layers):
/// KV-cached decoding against recomputing the whole sequence every step, and bf16 against fp32 weights,
/// each printed as tokens/s and as a ratio measured in the same run. A check fails when the cache is not
/// at least 2x faster than recomputation at this length.
/// </summary>
internal sealed class DecodeBenchmark : IBenchmarkCase
{
    public string Name => "decode";

    public string Description => "tokens/s: KV cache vs recompute, bf16 vs fp32 (batch 4, 64-token prompts, 64 new tokens)";

    public int Run(string[] args)
    {
        var config = new LlamaConfig
        {
            VocabSize = 8192, HiddenSize = 512, IntermediateSize = 1408, NumHiddenLayers = 8,
            NumAttentionHeads = 8, NumKeyValueHeadsSetting = 2, MaxPositionEmbeddings = 1024,
        };
        var random = new Random(0);
        var prompts = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 64).Select(_ => random.Next(config.VocabSize)).ToArray()).ToArray();
        var options = new GenerationOptions { MaxNewTokens = 64 };
        Console.WriteLine($"threads {get_num_threads()}, batch {prompts.Length}, prompt 64, new tokens {options.MaxNewTokens}");

        using var fp32 = new LlamaForCausalLM(config);
        fp32.InitializeWeights(0);
        double cached = TokensPerSecond(fp32, prompts, options);
        double recompute = TokensPerSecond(fp32, prompts, options with { UseCache = false });
        using var bf16 = new LlamaForCausalLM(config, ScalarType.BFloat16);
        bf16.InitializeWeights(0);
        double cachedBf16 = TokensPerSecond(bf16, prompts, options);

        Console.WriteLine($"fp32 KV cache:  {cached,8:F1} tokens/s");
        Console.WriteLine($"fp32 recompute: {recompute,8:F1} tokens/s");
        Console.WriteLine($"bf16 KV cache:  {cachedBf16,8:F1} tokens/s");
        Console.WriteLine($"KV cache speed-up over recompute: {cached / recompute:F2}x");
        Console.WriteLine($"bf16 / fp32 speed (cached): {cachedBf16 / cached:F2}x");
        bool pass = cached / recompute >= 2.0;
        Console.WriteLine($"KV cache at least 2x faster than recompute: {(pass ? "PASS" : "FAIL")}");
        return pass ? 0 : 1;
    }

    private static double TokensPerSecond(LlamaForCausalLM model, int[][] prompts, GenerationOptions options)
    {
        TextGenerator.Generate(model, prompts, options with { MaxNewTokens = 4 }); // warm-up
        var watch = Stopwatch.StartNew();
        var outputs = TextGenerator.Generate(model, prompts, options);
        return outputs.Sum(o => o.Count) / watch.Elapsed.TotalSeconds;
    }
}
