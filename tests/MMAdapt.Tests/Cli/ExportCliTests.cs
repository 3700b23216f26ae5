using System.Text.Json.Nodes;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Cli;

/// <summary><c>mmadapt export</c> on a folder that <c>mmadapt train</c> wrote: a LoRA on the smoke LLM and an MLP image connector.</summary>
public sealed class ExportCliTests : IDisposable
{
    private readonly TempFolder temp = new();

    private static string Smoke(string part) => FixturePaths.Of("models", "smoke", part).Replace('\\', '/');

    /// <summary>Trains two steps with the CLI and returns the output folder.</summary>
    private string Train()
    {
        var data = temp.File("data");
        SyntheticDataset.Generate(data, new SyntheticDatasetOptions { Seed = 0, Count = 8, TestCount = 2 });
        var recipe = temp.File("export.yaml");
        File.WriteAllText(recipe, $"""
            name: export
            output_dir: {temp.File("run")}
            seed: 0
            device: cpu
            model:
              llm: {"{"} path: {Smoke("llm")}, chat_template: chatml {"}"}
              vision: {"{"} path: {Smoke("vision")}, feature_layer: -2 {"}"}
              audio: {"{"} path: {Smoke("audio")} {"}"}
            connectors:
              image: {"{"} type: mlp, depth: 2 {"}"}
              audio: {"{"} type: downsample, mode: stack, factor: 4 {"}"}
            adapters:
              - name: lora
                type: lora
                component: llm
                targets: '.*\.(q_proj|v_proj)'
                settings: {"{"} r: 4, lora_alpha: 8 {"}"}
            data:
              train: {"{"} path: {Path.Combine(data, "train.jsonl")} {"}"}
              max_seq_len: 160
            stages:
              - name: align
                train: [connector:image, connector:audio, adapter:lora]
                lr: 1.0e-2
                max_steps: 2
                batch_size: 2
            """);
        var (code, _, err) = CliRun.Run("train", recipe);
        Assert.True(code == 0, err);
        return temp.File("run");
    }

    [Fact]
    public void Export_writes_a_llava_folder_and_refuses_audio_overwrite_and_unknown_formats()
    {
        var run = Train();
        var llava = temp.File("llava");

        var (code, _, err) = CliRun.Run("export", run, "--format", "llava", "--out", llava);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", err, StringComparison.Ordinal);
        Assert.Contains("--drop-audio", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(llava));

        (code, var output, err) = CliRun.Run("export", run, "--format", "llava", "--out", llava, "--drop-audio", "--dtype", "bf16");
        Assert.True(code == 0, err);
        Assert.Contains("warning: the audio tower", output, StringComparison.Ordinal);
        Assert.Contains("merged 4 adapter(s); <image> token id 460, vocab_size 512, 16 tokens per image (BFloat16)", output, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("align", "final"), output, StringComparison.Ordinal);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(llava, "config.json")))!;
        Assert.Equal("bfloat16", (string)config["torch_dtype"]!);
        Assert.Equal(460, (int)config["image_token_index"]!);

        (code, _, err) = CliRun.Run("export", run, "--format", "llava", "--out", llava, "--drop-audio");
        Assert.Equal(1, code);
        Assert.Contains("already exists", err, StringComparison.Ordinal);
        Assert.Equal("bfloat16", (string)JsonNode.Parse(File.ReadAllText(Path.Combine(llava, "config.json")))!["torch_dtype"]!);

        (code, _, err) = CliRun.Run("export", run, "--format", "gguf", "--out", temp.File("other"));
        Assert.Equal(2, code);
        Assert.Contains("gguf", err, StringComparison.Ordinal);
    }

    public void Dispose() => temp.Dispose();
}
