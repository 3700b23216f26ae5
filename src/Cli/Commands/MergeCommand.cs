using System.CommandLine;
using MMAdapt.Core.Devices;
using MMAdapt.Finetune.Export;

namespace MMAdapt.Cli.Commands;

/// <summary>
/// <c>mmadapt merge --model DIR --adapter DIR --output DIR [--dtype fp32|bf16|fp16] [--overwrite]</c>: folds a PEFT
/// adapter into its base checkpoint and writes a complete Hugging Face folder (see <see cref="AdapterMerge"/>).
/// </summary>
internal static class MergeCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model", "-m") { Description = "Base checkpoint folder (config.json, safetensors, tokenizer).", Required = true };
        var adapter = new Option<string>("--adapter") { Description = "PEFT adapter folder trained on that base (LoRA, DoRA, IA3).", Required = true };
        var folder = new Option<string>("--output", "-o") { Description = "Folder for the merged checkpoint (must not exist unless --overwrite).", Required = true };
        var dtype = new Option<string?>("--dtype") { Description = "Weight dtype written: fp32, bf16 or fp16 (default: the base config's torch_dtype)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output folder." };
        var command = new Command("merge", "Fold a PEFT adapter into its base model and write a standalone Hugging Face checkpoint.")
        {
            model, adapter, folder, dtype, overwrite,
        };
        command.SetAction(parse =>
        {
            var weightDtype = parse.GetValue(dtype) is { } name ? DeviceChoice.ResolveDtype(name) : (TorchSharp.torch.ScalarType?)null;
            var report = AdapterMerge.Write(parse.GetValue(model)!, parse.GetValue(adapter)!, parse.GetValue(folder)!, weightDtype, parse.GetValue(overwrite));
            output.WriteLine($"merged {report.PeftType} adapter into {report.MergedAdapters} projections ({report.Dtype})");
            output.WriteLine($"copied: {(report.CopiedFiles.Count == 0 ? "none" : string.Join(", ", report.CopiedFiles))}");
            output.WriteLine($"wrote {report.Folder}");
            return 0;
        });
        return command;
    }
}
