namespace MMAdapt.Core.Diagnostics;

/// <summary>
/// Where the library's warnings and progress notes go. Defaults to standard error with a
/// <c>warning:</c> prefix; the CLI, tests and notebooks can redirect it.
/// </summary>
public static class Log
{
    /// <summary>Receives warnings (ignored settings, fallbacks). Replace to capture or silence them.</summary>
    public static Action<string> WarningSink { get; set; } = message => Console.Error.WriteLine($"warning: {message}");

    /// <summary>Receives informational notes (what was loaded, how long it took).</summary>
    public static Action<string> InfoSink { get; set; } = _ => { };

    /// <summary>Reports a warning.</summary>
    public static void Warning(string message) => WarningSink(message);

    /// <summary>Reports an informational note.</summary>
    public static void Info(string message) => InfoSink(message);
}
