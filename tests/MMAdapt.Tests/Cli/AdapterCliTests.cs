using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Peft;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Cli;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Models.Generation;
using MMAdapt.Models.Llama;
using MMAdapt.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Cli;

/// <summary><c>generate --adapter</c> and <c>merge</c> against the fixtures' PEFT LoRA and its reference outputs.</summary>
[Collection(nameof(MMAdapt.Tests.Models.LogSinkCollection))]
public class AdapterCliTests
{
    private static (string Prompt, string Greedy) Reference(string family)
    {
        using var ids = FixturePaths.Expected(family, "input_ids");
        using var greedy = FixturePaths.Expected(family, "greedy_ids_with_peft_lora");
        return (string.Join(",", TensorAssert.Longs(ids[0])), string.Join(",", TensorAssert.Longs(greedy)));
    }

    /// <summary>A LoRA with random B (so it changes the model) on q_proj, v_proj (or other targets), saved as a PEFT folder.</summary>
    private static string WriteRandomAdapter(string modelFolder, string folder, params string[] targets)
    {
        using var model = LlamaForCausalLM.FromPretrained(modelFolder);
        var config = new LoraConfig
        {
            Rank = 4, Alpha = 8, InitLoraWeights = MMAdapt.Tests.Adapters.Lora.AdapterCases.Json("false"),
            TargetModules = ModuleSelector.Of(targets.Length == 0 ? ["q_proj", "v_proj"] : targets),
        };
        LoraAttacher.Attach(model, "llm", config, seed: 9);
        PeftAdapter.Save(model, folder, config);
        return folder;
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void Generate_with_an_adapter_prints_the_reference_greedy_ids(string family)
    {
        var (prompt, greedy) = Reference(family);
        var (code, output, error) = CliRun.Run("generate", "--model", FixturePaths.Of(family), "--adapter", FixturePaths.Of(family, "peft_lora"),
            "--input-ids", prompt, "--max-new-tokens", "6");
        Assert.True(code == 0, error);
        Assert.Equal(greedy, output.Trim());
    }

    [Fact]
    public void Merge_writes_a_checkpoint_that_reproduces_the_adapter_without_it()
    {
        using var temp = new TempFolder();
        var merged = temp.File("merged");
        var (code, output, error) = CliRun.Run("merge", "--model", FixturePaths.Of("llama"), "--adapter", FixturePaths.Of("llama", "peft_lora"), "--output", merged);
        Assert.True(code == 0, error);
        Assert.Equal($"merged LORA adapter into 4 projections (Float32)\ncopied: none\nwrote {merged}\n", output.Replace("\r\n", "\n"));
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(merged).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using (var file = SafetensorsFile.Open(Path.Combine(merged, "model.safetensors")))
            Assert.Equal(21, file.Tensors.Count);                                       // the base keys, no adapter keys

        using var model = LlamaForCausalLM.FromPretrained(merged);
        using var ids = FixturePaths.Expected("llama", "input_ids");
        using var expected = FixturePaths.Expected("llama", "logits_with_peft_lora");
        using (no_grad())
        {
            var result = model.Forward(new DecoderInput { InputIds = ids });
            using var logits = result.Logits;
            result.LastHiddenState.Dispose();
            TensorAssert.Close(logits, expected, 1e-4, "merged checkpoint logits");
        }
        var (prompt, greedy) = Reference("llama");
        var generated = TextGenerator.Generate(model, [prompt.Split(',').Select(int.Parse).ToArray()], new GenerationOptions { MaxNewTokens = 6 })[0];
        Assert.Equal(greedy, string.Join(",", generated));
        var cli = CliRun.Run("generate", "--model", merged, "--input-ids", prompt, "--max-new-tokens", "6");
        Assert.True(cli.Code == 0, cli.Err);
        Assert.Equal(greedy, cli.Out.Trim());
    }

    [Fact]
    public void Merge_copies_the_tokenizer_and_generation_files_and_generates_as_the_adapter_does()
    {
        using var temp = new TempFolder();
        var model = FixturePaths.Of("tiny-llama");
        var adapter = WriteRandomAdapter(model, temp.File("adapter"));
        var merged = temp.File("merged");
        var (code, output, error) = CliRun.Run("merge", "-m", model, "--adapter", adapter, "-o", merged);
        Assert.True(code == 0, error);
        Assert.Contains("copied: tokenizer.json, tokenizer_config.json, generation_config.json\n", output.Replace("\r\n", "\n"));
        foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(model, name)), File.ReadAllBytes(Path.Combine(merged, name)));

        string[] prompt = ["--prompt", "the red circle is", "--max-new-tokens", "10"];
        var withAdapter = CliRun.Run(["generate", "--model", model, "--adapter", adapter, .. prompt]);
        var fromMerged = CliRun.Run(["generate", "--model", merged, .. prompt]);
        var plain = CliRun.Run(["generate", "--model", model, .. prompt]);
        Assert.True(withAdapter.Code == 0 && fromMerged.Code == 0, withAdapter.Err + fromMerged.Err);
        Assert.Equal(withAdapter.Out, fromMerged.Out);
        Assert.NotEqual(plain.Out, withAdapter.Out);                                  // the adapter does change the model

        var bf16 = temp.File("merged-bf16");
        var half = CliRun.Run("merge", "-m", model, "--adapter", adapter, "-o", bf16, "--dtype", "bf16");
        Assert.True(half.Code == 0, half.Err);
        Assert.Contains("\"torch_dtype\": \"bfloat16\"", File.ReadAllText(Path.Combine(bf16, "config.json")));
        using (var file = SafetensorsFile.Open(Path.Combine(bf16, "model.safetensors")))
            Assert.All(file.Tensors, t => Assert.Equal(SafetensorsDtype.BF16, t.Dtype));
    }

    [Fact]
    public void A_merge_that_cannot_fold_every_adapter_fails_and_writes_nothing()
    {
        using var temp = new TempFolder();
        var adapter = WriteRandomAdapter(FixturePaths.Of("qwen2"), temp.File("adapter"), "embed_tokens", "q_proj");   // qwen2 ties lm_head to embed_tokens
        var merged = temp.File("merged");
        var (code, output, error) = CliRun.Run("merge", "--model", FixturePaths.Of("qwen2"), "--adapter", adapter, "--output", merged);
        Assert.Equal(MmadaptCli.Failure, code);
        Assert.Equal("", output);
        Assert.Contains("1 of 3 adapted projections cannot be folded into the weights, so nothing was written: " +
                        "model.embed_tokens.default (LoraEmbedding): its weight is shared with 'lm_head' (tied weights)", error);
        Assert.Equal(["adapter"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));   // no output, no temporary folder
    }

    [Fact]
    public void An_existing_output_folder_is_replaced_only_with_overwrite()
    {
        using var temp = new TempFolder();
        var merged = temp.File("merged");
        Directory.CreateDirectory(merged);
        File.WriteAllText(Path.Combine(merged, "stale.txt"), "old");
        string[] args = ["merge", "--model", FixturePaths.Of("llama"), "--adapter", FixturePaths.Of("llama", "peft_lora"), "--output", merged];

        var refused = CliRun.Run(args);
        Assert.Equal(MmadaptCli.Failure, refused.Code);
        Assert.Contains($"{merged}: output folder already exists; choose another folder or allow overwriting (--overwrite)", refused.Err);
        Assert.True(File.Exists(Path.Combine(merged, "stale.txt")));

        var replaced = CliRun.Run([.. args, "--overwrite"]);
        Assert.True(replaced.Code == 0, replaced.Err);
        Assert.False(File.Exists(Path.Combine(merged, "stale.txt")));
        Assert.True(File.Exists(Path.Combine(merged, "model.safetensors")));
        Assert.Equal(["merged"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }
}
