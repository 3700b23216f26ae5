using System.CommandLine;
using MMAdapt.Cli.Commands;
using MMAdapt.Core.Diagnostics;
using MMAdapt.Core.Native;

namespace MMAdapt.Cli;

/// <summary>
/// The <c>mmadapt</c> command: builds the command tree and runs it, turning every failure into one
/// <c>error:</c> line on standard error and a non-zero exit code (the stack trace only with <c>--verbose</c>).
/// </summary>
public static class MmadaptCli
{
    /// <summary>Exit code of a failed command.</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a command line that does not parse.</summary>
    public const int UsageError = 2;

    /// <summary>The <c>--verbose</c> option every command accepts.</summary>
    internal static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Print full exception details (stack traces) on failure.",
        Recursive = true,
    };

    /// <summary>Runs the command line, writing to the given streams; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var previousWarningSink = Log.WarningSink;
        Log.WarningSink = message => error.WriteLine($"warning: {message}");
        try
        {
            var root = new RootCommand("MMAdapt: parameter-efficient fine-tuning of multimodal LLMs.");
            root.Options.Add(Verbose);
            root.Subcommands.Add(InspectCommand.Create(output));
            root.Subcommands.Add(GenerateCommand.Create(output));
            root.Subcommands.Add(EncodeCommand.Create(output));
            root.Subcommands.Add(MergeCommand.Create(output));
            root.Subcommands.Add(ExportCommand.Create(output));
            root.Subcommands.Add(PretrainTinyLmCommand.Create(output));
            root.Subcommands.Add(PretrainTinyCommand.Create(output));
            root.Subcommands.Add(DataCommand.Create(output));
            root.Subcommands.Add(TinyCheckpointsCommand.Create(output));
            root.Subcommands.Add(TrainCommand.Create(output));
            root.Subcommands.Add(ValidateCommand.Create(output));
            root.Subcommands.Add(EvalCommand.Create(output));
            root.Subcommands.Add(RecipesCommands.List(output));
            root.Subcommands.Add(RecipesCommands.Copy(output));

            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors)
                    error.WriteLine($"error: {e.Message}");
                error.WriteLine("Run 'mmadapt --help' for usage.");
                return UsageError;
            }
            try
            {
                TorchRuntime.Install();
                return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
            }
            catch (Exception e)
            {
                var inner = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e;
                error.WriteLine($"error: {inner.Message}");
                if (parse.GetValue(Verbose))
                    error.WriteLine(inner.ToString());
                return Failure;
            }
        }
        finally
        {
            Log.WarningSink = previousWarningSink;
        }
    }
}
