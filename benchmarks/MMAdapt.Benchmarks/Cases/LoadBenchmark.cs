using System.Diagnostics;
using MMAdapt.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Benchmarks.Cases;

/// <summary>
/// Checkpoint loading speed and managed-memory cost: writes a 1 GiB safetensors file (16 F32
/// tensors of 64 MiB) with <see cref="SafetensorsWriter"/>, then reads every tensor back with
/// <see cref="CheckpointReader.Read"/>, disposing each. Tensor bytes go straight into native memory,
/// so the managed allocation while loading must stay far below the data size (limit 64 MiB).
/// </summary>
public sealed class LoadBenchmark : IBenchmarkCase
{
    private const int TensorCount = 16;
    private const int Rows = 4096, Columns = 4096; // 16 Mi floats = 64 MiB per tensor
    private const long ManagedLimitBytes = 64L << 20;

    /// <inheritdoc />
    public string Name => "load";

    /// <inheritdoc />
    public string Description => "write a 1 GiB safetensors file, load every tensor, check managed allocation < 64 MiB";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"mmadapt-bench-load-{Guid.NewGuid():N}");
        var path = Path.Combine(folder, "model.safetensors");
        try
        {
            var firstSum = Write(path);
            return Load(path, firstSum);
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    private static double Write(string path)
    {
        var tensors = Enumerable.Range(0, TensorCount)
            .Select(i => KeyValuePair.Create($"model.layers.{i:D2}.mlp.up_proj.weight", torch.rand(Rows, Columns)))
            .ToList();
        try
        {
            double firstSum = Sum(tensors[0].Value);
            var watch = Stopwatch.StartNew();
            SafetensorsWriter.Write(path, tensors);
            watch.Stop();
            long bytes = new FileInfo(path).Length;
            Console.WriteLine($"wrote {bytes / (double)(1 << 30):F2} GiB in {watch.Elapsed.TotalSeconds:F2} s ({bytes / watch.Elapsed.TotalSeconds / 1e9:F2} GB/s, including fsync)");
            return firstSum;
        }
        finally
        {
            foreach (var (_, t) in tensors)
                t.Dispose();
        }
    }

    private static double Sum(Tensor tensor)
    {
        using var sum = tensor.sum();
        return sum.item<float>();
    }

    private static int Load(string path, double firstSum)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long peakInUse = GC.GetTotalMemory(forceFullCollection: false);
        long bytes = 0;
        var watch = Stopwatch.StartNew();
        using (var reader = CheckpointReader.Open(path))
        {
            foreach (var name in reader.Names)
            {
                using var tensor = reader.Read(name);
                bytes += tensor.numel() * tensor.element_size();
                peakInUse = Math.Max(peakInUse, GC.GetTotalMemory(forceFullCollection: false));
            }
        }
        watch.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long heap = GC.GetGCMemoryInfo().HeapSizeBytes;

        using (var reader = CheckpointReader.Open(path))
        using (var first = reader.Read(reader.Names[0]))
        {
            double sum = Sum(first);
            if (sum != firstSum)
            {
                Console.WriteLine($"FAIL: first tensor sums to {sum} after loading, {firstSum} before writing");
                return 1;
            }
        }

        const double MiB = 1 << 20;
        bool pass = allocated <= ManagedLimitBytes;
        Console.WriteLine($"loaded {TensorCount} tensors, {bytes / (double)(1 << 30):F2} GiB in {watch.Elapsed.TotalSeconds:F2} s ({bytes / watch.Elapsed.TotalSeconds / 1e9:F2} GB/s; the file was just written, so mostly from the page cache)");
        Console.WriteLine($"managed allocated while loading (GC.GetTotalAllocatedBytes delta): {allocated / MiB:F3} MiB");
        Console.WriteLine($"managed heap size (GC.GetGCMemoryInfo): {heap / MiB:F2} MiB; peak managed in use while loading: {peakInUse / MiB:F2} MiB");
        Console.WriteLine($"peak managed allocation: {allocated / MiB:F2} MiB (limit {ManagedLimitBytes / MiB:F0} MiB): {(pass ? "PASS" : "FAIL")}");
        return pass ? 0 : 1;
    }
}
