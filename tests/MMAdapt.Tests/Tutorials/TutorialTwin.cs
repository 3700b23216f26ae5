using System.Diagnostics;
using Xunit;

namespace MMAdapt.Tests.Tutorials;

/// <summary>Runs a tutorial's file-based twin as a reader would, <c>dotnet run NN-name.cs</c> from <c>tutorials/</c>,
/// and returns what it printed (stdout and stderr together, in order of arrival).</summary>
internal static class TutorialTwin
{
    public static string Folder => TestSupport.RepositoryPaths.Of("tutorials");

    /// <summary>The twin's output; fails the test, showing the output's tail, when it exits non-zero or times out.</summary>
    public static string Run(string name, TimeSpan timeout)
    {
        var twin = Path.Combine(Folder, name + ".cs");
        Assert.True(File.Exists(twin), $"{twin} missing");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("run");
        info.ArgumentList.Add(name + ".cs");
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var output = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{name}.cs did not finish in {timeout.TotalMinutes} minutes; its output ended with:\n{Tail(output.ToString())}");
        }
        process.WaitForExit();
        var text = output.ToString();
        Assert.True(process.ExitCode == 0, $"{name}.cs exited with {process.ExitCode}; its output ended with:\n{Tail(text)}");
        return text;
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];
}
