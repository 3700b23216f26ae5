// Benchmark runner: dotnet run -c Release --project benchmarks/MMAdapt.Benchmarks -- <case> [args]
// Each case lives in Cases/ and implements IBenchmarkCase; add it to the table below.
using MMAdapt.Benchmarks;
using MMAdapt.Benchmarks.Cases;

MMAdapt.Core.Native.TorchRuntime.EnsureLoaded();

IBenchmarkCase[] cases = [new AdaptersBenchmark(), new LoadBenchmark(), new DecodeBenchmark(), new PreprocessBenchmark()];

var chosen = args.Length > 0 ? cases.FirstOrDefault(c => c.Name == args[0]) : null;
if (chosen is null)
{
    Console.Error.WriteLine(args.Length == 0 ? "Name a benchmark case." : $"Unknown benchmark case '{args[0]}'.");
    Console.Error.WriteLine("Usage: dotnet run -c Release --project benchmarks/MMAdapt.Benchmarks -- <case> [args]");
    Console.Error.WriteLine("Known cases:");
    foreach (var c in cases)
        Console.Error.WriteLine($"  {c.Name,-12} {c.Description}");
    return 2;
}
return chosen.Run(args[1..]);
