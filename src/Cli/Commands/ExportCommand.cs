using System.CommandLine;
using MMAdapt.Core.Devices;
using MMAdapt.Finetune.Export;

namespace MMAdapt.Cli.Commands;

/// <summary>
/// <c>mmadapt export OUTPUT_DIR --format llava --out DIR [--dtype fp32|bf16|fp16] [--overwrite] [--drop-audio]</c>: writes
/// a training output folder's model as a Hugging Face LLaVA folder (see <see cref="LlavaExport"/>).
/// </summary>
internal static class ExportCommand
{
    /// <summary>The export formats (one so far).</summary>
    private static readonly string[] Formats = ["llava"];

    public static Command Create(TextWriter output)
    {
        var source = new Argument<string>("OUTPUT_DIR") { Description = "Training output folder (what 'mmadapt train' wrote)." };
        var format = new Option<string>("--format") { Description = "Export format: llava (Hugging Face LlavaForConditionalGeneration).", Required = true };
        format.AcceptOnlyFromAmong(Formats);
        var folder = new Option<string>("--out", "-o") { Description = "Folder to write (must not exist unless --overwrite).", Required = true };
        var dtype = new Option<string?>("--dtype") { Description = "Weight dtype written: fp32, bf16 or fp16 (default: the LLM config's torch_dtype)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output folder." };
        var dropAudio = new Option<bool>("--drop-audio") { Description = "Leave out the audio tower and connector (LLaVA has no audio input)." };
        var command = new Command("export", "Write a trained model in another framework's layout (LLaVA: the LLM, vision tower and image connector).")
        {
            source, format, folder, dtype, overwrite, dropAudio,
        };
        command.SetAction(parse =>
        {
            var options = new LlavaExportOptions
            {
                Dtype = parse.GetValue(dtype) is { } name ? DeviceChoice.ResolveDtype(name) : null,
                Overwrite = parse.GetValue(overwrite),
                DropAudio = parse.GetValue(dropAudio),
            };
            var report = LlavaExport.FromOutputFolder(parse.GetValue(source)!, parse.GetValue(folder)!, options);
            foreach (var warning in report.Warnings)
                output.WriteLine($"warning: {warning}");
            output.WriteLine($"weights: {report.Checkpoint}");
            output.WriteLine($"merged {report.MergedAdapters} adapter(s); <image> token id {report.ImageTokenId}, vocab_size {report.VocabularySize}, " +
                             $"{report.ImageSequenceLength} tokens per image ({report.Dtype})");
            output.WriteLine($"files: {string.Join(", ", report.Files)}");
            output.WriteLine($"wrote {report.Folder}");
            return 0;
        });
        return command;
    }
}
