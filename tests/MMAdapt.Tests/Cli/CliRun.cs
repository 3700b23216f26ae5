using MMAdapt.Cli;

namespace MMAdapt.Tests.Cli;

/// <summary>Runs the <c>mmadapt</c> command in process and captures what it writes.</summary>
internal static class CliRun
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = MmadaptCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
