using System.Diagnostics;
using MMAdapt.Cli;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Cli;

[Collection(nameof(MMAdapt.Tests.Models.LogSinkCollection))]
public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private static string ReferenceGreedyIds(string family, out string promptIds)
    {
        using var file = SafetensorsFile.Open(FixturePaths.Of(family, "expected.safetensors"));
        using var ids = file.Read("input_ids");
        using var greedy = file.Read("greedy_ids");
        promptIds = string.Join(",", TensorAssert.Longs(ids[0]));
        return string.Join(",", TensorAssert.Longs(greedy));
    }

    [Fact]
    public void Inspect_reports_architecture_tensor_and_parameter_counts()
    {
        var (code, output, error) = Run("inspect", FixturePaths.Of("llama"));
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("architecture: LlamaForCausalLM", output);
        Assert.Contains("model_type:   llama", output);
        Assert.Contains("dtype:        F32 (21 tensors)", output);
        Assert.Contains("tensors:      21\n", output);
        // 96x48 embed + 2 x (2x48 norms + 48x48 q + 16x48 k + 16x48 v + 48x48 o + 3x80x48 mlp) + 48 norm + 96x48 head
        Assert.Contains("parameters:   44784\n", output);
        Assert.DoesNotContain("model.layers.0.self_attn.k_proj.weight", output);
    }

    [Fact]
    public void Inspect_with_tensors_lists_names_shapes_and_dtypes()
    {
        var (code, output, _) = Run("inspect", FixturePaths.Of("qwen2"), "--tensors");
        Assert.Equal(0, code);
        Assert.Matches(@"model\.layers\.0\.self_attn\.k_proj\.bias\s+\[16\]\s+F32", output);
        Assert.Matches(@"model\.embed_tokens\.weight\s+\[96, 48\]\s+F32", output);
        Assert.Contains("tie_word_embeddings:True", output.Replace(" ", ""));
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void Generate_with_input_ids_prints_the_reference_greedy_ids(string family)
    {
        var expected = ReferenceGreedyIds(family, out var prompt);
        var (code, output, error) = Run("generate", "--model", FixturePaths.Of(family), "--input-ids", prompt, "--greedy", "--max-new-tokens", "6");
        Assert.True(code == 0, error);
        Assert.Equal(expected, output.Trim());
        var bf16 = Run("generate", "--model", FixturePaths.Of(family), "--input-ids", prompt, "--max-new-tokens", "6", "--dtype", "bf16");
        Assert.Equal(0, bf16.Code);
        Assert.Equal(6, bf16.Out.Trim().Split(',').Length);
    }

    [Fact]
    public void Generate_with_a_prompt_prints_decoded_text()
    {
        var (code, output, error) = Run("generate", "--model", FixturePaths.Of("tiny-llama"), "--prompt", "the red circle is", "--max-new-tokens", "12");
        Assert.True(code == 0, error);
        Assert.Matches(@"^ (above|below|left of|right of|next to) the \w+ \w+\.\n$", output);
        var chat = Run("generate", "--model", FixturePaths.Of("tiny-llama"), "--prompt", "the red circle is", "--chat-template", "plain");
        Assert.Equal(0, chat.Code);
        var missingTokens = Run("generate", "--model", FixturePaths.Of("tiny-llama"), "--prompt", "hi", "--chat-template", "llama3");
        Assert.Equal(MmadaptCli.Failure, missingTokens.Code);
        Assert.Contains("needs the token '<|start_header_id|>', which the tokenizer does not have", missingTokens.Err);
        var unknown = Run("generate", "--model", FixturePaths.Of("tiny-llama"), "--prompt", "hi", "--chat-template", "vicuna");
        Assert.Equal(MmadaptCli.Failure, unknown.Code);
        Assert.Contains("llama3, chatml, mistral, llama2, plain", unknown.Err);
    }

    [Fact]
    public void Sampling_with_a_seed_is_reproducible_from_the_cli()
    {
        string[] args = ["generate", "-m", FixturePaths.Of("llama"), "--input-ids", "1,2,3", "--temperature", "1.2", "--top-p", "0.9", "--seed", "5", "--max-new-tokens", "10"];
        var a = Run(args);
        var b = Run(args);
        Assert.Equal(0, a.Code);
        Assert.Equal(a.Out, b.Out);
        Assert.Equal(10, a.Out.Trim().Split(',').Length);
    }

    [Theory]
    [InlineData("model folder not found", "generate", "--model", "/nonexistent/dir", "--input-ids", "1,2")]
    [InlineData("give exactly one of --prompt or --input-ids", "generate", "--model", "MODEL", "--prompt", "hi", "--input-ids", "1,2")]
    [InlineData("give exactly one of --prompt or --input-ids", "generate", "--model", "MODEL")]
    [InlineData("dtype 'fp8' is not recognised; use one of: fp32, bf16, fp16", "generate", "--model", "MODEL", "--input-ids", "1", "--dtype", "fp8")]
    [InlineData("'x' (item 2) is not a non-negative integer token id", "generate", "--model", "MODEL", "--input-ids", "1,x")]
    [InlineData("token id 500 is outside the vocabulary (size 96)", "generate", "--model", "MODEL", "--input-ids", "1,500")]
    [InlineData("choose either --greedy or --temperature", "generate", "--model", "MODEL", "--input-ids", "1", "--greedy", "--temperature", "0.7")]
    [InlineData("top-p must be in (0, 1]", "generate", "--model", "MODEL", "--input-ids", "1", "--temperature", "0.7", "--top-p", "1.5")]
    [InlineData("no tokenizer.json or tokenizer.model", "generate", "--model", "MODEL", "--prompt", "hello")]
    [InlineData("folder not found", "inspect", "/nonexistent/dir")]
    public void Bad_input_gives_one_error_line_and_exit_code_1(string expected, params string[] args)
    {
        args = args.Select(a => a == "MODEL" ? FixturePaths.Of("llama") : a).ToArray();
        var (code, output, error) = Run(args);
        Assert.Equal(MmadaptCli.Failure, code);
        Assert.Equal("", output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        var (code, _, error) = Run("inspect", "/nonexistent/dir", "--verbose");
        Assert.Equal(MmadaptCli.Failure, code);
        Assert.Contains("   at ", error);
    }

    [Fact]
    public void Unknown_options_are_usage_errors()
    {
        var (code, _, error) = Run("generate", "--model", "x", "--input-ids", "1", "--frobnicate");
        Assert.Equal(MmadaptCli.UsageError, code);
        Assert.Contains("--frobnicate", error);
    }

    [Fact]
    public async Task The_built_command_runs_in_a_fresh_process_with_an_empty_cache()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "mmadapt.dll");
        Assert.True(File.Exists(dll), $"{dll} missing");
        using var cache = new TempFolder();
        var expected = ReferenceGreedyIds("llama", out var prompt);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "generate", "--model", FixturePaths.Of("llama"), "--input-ids", prompt, "--max-new-tokens", "6" })
            info.ArgumentList.Add(a);
        info.Environment["MMADAPT_CACHE_DIR"] = cache.Path;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "mmadapt did not finish in 2 minutes");
        Assert.True(process.ExitCode == 0, await stderr);
        Assert.Equal(expected, (await stdout).Trim());
        if (MMAdapt.Core.Native.TorchRuntime.UsesPatchedCopy)
            Assert.Single(Directory.GetFiles(cache.Path, "libLibTorchSharp.so", SearchOption.AllDirectories));
    }
}
