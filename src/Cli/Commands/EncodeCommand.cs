using System.CommandLine;
using MMAdapt.Core.Checkpoints;
using MMAdapt.Core.Devices;
using MMAdapt.Encoders;

namespace MMAdapt.Cli.Commands;

/// <summary>
/// <c>mmadapt encode --encoder DIR --input FILE --output OUT.safetensors [--layer N] [--pad-to-square] [--trim]</c>:
/// runs a frozen encoder on one file and writes the preprocessed input and features with Hugging Face's names.
/// </summary>
internal static class EncodeCommand
{
    public static Command Create(TextWriter output)
    {
        var encoder = new Option<string>("--encoder", "-e") { Description = "CLIP, SigLIP, LLaVA, Whisper or AST checkpoint folder.", Required = true };
        var input = new Option<string>("--input", "-i") { Description = "Image (PNG, JPEG, BMP, GIF, WebP) or audio file (WAV; others with ffmpeg).", Required = true };
        var file = new Option<string>("--output", "-o") { Description = "The .safetensors file to write.", Required = true };
        var layer = new Option<int?>("--layer") { Description = "Also write hidden_states_layer_N (HF hidden_states index; negative counts from the end)." };
        var pad = new Option<bool>("--pad-to-square") { Description = "Images: LLaVA's pad mode (centre on a square of the mean colour) before resizing." };
        var trim = new Option<bool>("--trim") { Description = "Whisper: cut the output frames to the real audio length." };
        var dtype = new Option<string>("--dtype") { Description = "Weight dtype: fp32 or bf16.", DefaultValueFactory = _ => "fp32" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var command = new Command("encode", "Encode an image or audio file with a frozen tower and save the features.")
        {
            encoder, input, file, layer, pad, trim, dtype, device,
        };
        command.SetAction(parse =>
        {
            var target = parse.GetValue(file)!;
            if (!target.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--output '{target}' must end in .safetensors.");
            var source = parse.GetValue(input)!;
            if (!File.Exists(source))
                throw new FileNotFoundException($"{source}: input file not found.", source);
            using var pipeline = EncoderPipeline.Load(parse.GetValue(encoder)!, DeviceChoice.ResolveDtype(parse.GetValue(dtype)),
                DeviceChoice.ResolveDevice(parse.GetValue(device)), parse.GetValue(pad));
            var tensors = pipeline.Encode(source, parse.GetValue(layer), parse.GetValue(trim));
            try
            {
                var cpu = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.cpu());
                SafetensorsWriter.Write(target, cpu, new Dictionary<string, string>
                {
                    ["mmadapt.encoder"] = pipeline.Folder,
                    ["mmadapt.input"] = Path.GetFullPath(source),
                });
                foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    output.WriteLine($"{name,-26} [{string.Join(", ", tensor.shape)}]");
                output.WriteLine($"wrote {Path.GetFullPath(target)}");
            }
            finally
            {
                foreach (var tensor in tensors.Values)
                    tensor.Dispose();
            }
            return 0;
        });
        return command;
    }
}
