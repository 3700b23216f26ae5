using System.CommandLine;
using MMAdapt.Core.Checkpoints;

namespace MMAdapt.Cli.Commands;

/// <summary><c>mmadapt inspect DIR [--tensors]</c>: what a checkpoint folder holds.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter output)
    {
        var folder = new Argument<string>("DIR") { Description = "A Hugging Face checkpoint folder (config.json + *.safetensors)." };
        var tensors = new Option<bool>("--tensors") { Description = "List every tensor with its shape and dtype." };
        var command = new Command("inspect", "Show a checkpoint's architecture, dtype, tensor count and parameter count.") { folder, tensors };
        command.SetAction(parse =>
        {
            var summary = CheckpointSummary.Read(parse.GetValue(folder)!);
            output.WriteLine($"folder:       {summary.Folder}");
            output.WriteLine($"architecture: {summary.Architecture ?? "(none in config.json)"}");
            output.WriteLine($"model_type:   {summary.ModelType ?? "(none in config.json)"}");
            output.WriteLine($"dtype:        {string.Join(", ", summary.Dtypes.Select(d => $"{d.Key} ({d.Value} tensors)"))}");
            output.WriteLine($"files:        {summary.Files.Count}");
            output.WriteLine($"tensors:      {summary.Tensors.Count}");
            output.WriteLine($"parameters:   {summary.ParameterCount}");
            foreach (var (key, value) in summary.Highlights)
                output.WriteLine($"{key + ":",-14}{value}");
            if (parse.GetValue(tensors))
            {
                int width = summary.Tensors.Max(t => t.Name.Length);
                foreach (var t in summary.Tensors)
                    output.WriteLine($"{t.Name.PadRight(width)}  [{string.Join(", ", t.Shape)}]  {t.Dtype}");
            }
            return 0;
        });
        return command;
    }
}
