namespace MMAdapt.Benchmarks;

/// <summary>One benchmark the runner can start by name: <c>dotnet run -c Release --project benchmarks/MMAdapt.Benchmarks -- NAME</c>.</summary>
public interface IBenchmarkCase
{
    /// <summary>The name on the command line.</summary>
    string Name { get; }

    /// <summary>One line saying what the case measures.</summary>
    string Description { get; }

    /// <summary>Runs the case, printing its measurements.</summary>
    /// <param name="args">The arguments after the case name.</param>
    /// <returns>The process exit code: 0 when the case's check passed.</returns>
    int Run(string[] args);
}
