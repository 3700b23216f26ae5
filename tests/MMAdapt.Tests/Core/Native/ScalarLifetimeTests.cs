using MMAdapt.Adapters.Lora;
using MMAdapt.Finetune.Training;
using MMAdapt.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Core.Native;

/// <summary>
/// In TorchSharp 0.107 a Scalar made implicitly (<c>tensor + 1e-5</c>, and the alpha 1 of every <c>add(tensor)</c>) is
/// unreachable while the native call reads it, so a garbage collection forced by another thread can finalize it
/// mid-call ("Unknown scalar type", "toFloat: Expected false to be true", or a crash). RmsNorm, LoRA's forward and the
/// AdamW step pass Scalars that stay alive (<see cref="MMAdapt.Core.Modules.LiveScalars"/>); with AdamW's
/// <c>add_(eps)</c> left implicit this loop failed within two seconds.
/// </summary>
public class ScalarLifetimeTests
{
    [Fact]
    public void Hot_paths_survive_garbage_collections_forced_by_another_thread()
    {
        using var norm = new RmsNorm(16, 1e-6);
        using var lora = new LoraLinear(16, 16, rank: 4, scale: 2.0);
        var weight = new Parameter(randn(16, 16));
        weight.grad = randn(16, 16);
        using var optimizer = new AdamWOptimizer([new AdamWOptimizer.Group("all", [("w", weight)], 1e-3, 0.01)]);
        var stop = false;
        var churn = new Thread(() =>
        {
            var keep = new List<byte[]>();
            while (!Volatile.Read(ref stop))
            {
                keep.Add(new byte[10_000]);
                if (keep.Count > 100) keep.Clear();
            }
        }) { IsBackground = true };
        churn.Start();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long steps = 0;
        try
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                using var scope = NewDisposeScope();
                using (no_grad())
                {
                    var x = randn(8, 16);
                    lora.Apply(x, norm.call(x), null);
                }
                optimizer.Step(1.0);
                steps++;
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            churn.Join();
        }
        Assert.True(steps > 100, $"only {steps} steps in 3 s");
        Assert.True(GC.CollectionCount(0) > 10, "the churning thread forced too few collections for the test to mean anything");
    }
}
