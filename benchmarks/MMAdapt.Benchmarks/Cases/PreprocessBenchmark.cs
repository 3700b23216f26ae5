using System.Diagnostics;
using MMAdapt.Encoders.Images;
using SkiaSharp;

namespace MMAdapt.Benchmarks.Cases;

/// <summary>
/// Batched image preprocessing throughput: writes 64 generated 640x480 JPEGs of varied content, then decodes,
/// resizes (PIL bicubic, shortest edge 224), centre-crops and normalises them with an
/// openai/clip-vit-large-patch14 processor on 1 thread and on 2 (alternating, best of 9 each), printing images/s,
/// CPU time and managed allocation per image, the speed-up, and a control (the speed-up of pure arithmetic, which
/// shows how much of the second core other processes leave). The check passes when 2 threads are at least 1.6x
/// faster than 1.
/// </summary>
internal sealed class PreprocessBenchmark : IBenchmarkCase
{
    private const int ImageCount = 64, Width = 640, Height = 480, Rounds = 9;
    private const double RequiredSpeedUp = 1.6;

    public string Name => "preprocess";

    public string Description => "images/s decoding + CLIP-preprocessing 64 JPEGs (640x480 -> 224): 1 thread vs 2, check >= 1.6x";

    public int Run(string[] args)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"mmadapt-bench-preprocess-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var paths = Enumerable.Range(0, ImageCount).Select(i => WriteJpeg(folder, i)).ToList();
            long bytes = paths.Sum(p => new FileInfo(p).Length);
            Console.WriteLine($"{ImageCount} JPEGs {Width}x{Height}, {bytes / (double)ImageCount / 1024:F0} KiB each; cores {Environment.ProcessorCount}");

            // openai/clip-vit-large-patch14's preprocessor_config.json.
            var preprocessor = new ImagePreprocessor(new ImageProcessorConfig
            {
                ImageProcessorType = "CLIPImageProcessor",
                Size = ImageSize.Shortest(224),
                CropSize = ImageSize.Fixed(224, 224),
                DoCenterCrop = true,
                Resample = (int)PilResample.Bicubic,
                ImageMean = ImageProcessorConfig.ClipMean,
                ImageStd = ImageProcessorConfig.ClipStd,
            });
            Measure(preprocessor, paths, 2); // warm-up: JIT, page cache, scratch buffers
            // 1 and 2 threads alternate, best of each kept, so that load from other processes hits both alike.
            var one = new Measurement(0, double.MaxValue, double.MaxValue);
            var two = one;
            for (int round = 0; round < Rounds; round++)
            {
                one = Best(one, Measure(preprocessor, paths, 1));
                two = Best(two, Measure(preprocessor, paths, 2));
            }

            double speedUp = two.ImagesPerSecond / one.ImagesPerSecond;
            Print("1 thread: ", one);
            Print("2 threads:", two);
            Console.WriteLine($"speed-up 2 threads / 1 thread: {speedUp:F2}x");
            Console.WriteLine($"control, the same count of pure arithmetic on 2 threads / 1: {ControlSpeedUp():F2}x (what this machine gives now)");
            bool pass = speedUp >= RequiredSpeedUp;
            Console.WriteLine($"2 threads at least {RequiredSpeedUp}x faster than 1: {(pass ? "PASS" : "FAIL")}");
            return pass ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private readonly record struct Measurement(double ImagesPerSecond, double CpuMsPerImage, double BytesPerImage);

    private static void Print(string label, Measurement m) =>
        Console.WriteLine($"{label} {m.ImagesPerSecond,7:F1} images/s, {m.CpuMsPerImage:F2} ms CPU per image, {m.BytesPerImage / 1024.0:F1} KiB managed allocation per image");

    private static Measurement Best(Measurement a, Measurement b) => new(
        Math.Max(a.ImagesPerSecond, b.ImagesPerSecond), Math.Min(a.CpuMsPerImage, b.CpuMsPerImage), Math.Min(a.BytesPerImage, b.BytesPerImage));

    /// <summary>One batch: images/s, process CPU time and managed bytes allocated per image.</summary>
    private static Measurement Measure(ImagePreprocessor preprocessor, IReadOnlyList<string> paths, int threads)
    {
        using var process = Process.GetCurrentProcess();
        GC.Collect();
        var cpuBefore = process.TotalProcessorTime;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        using (var batch = preprocessor.PreprocessFiles(paths, threads))
            watch.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        process.Refresh();
        double cpuMs = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        return new(paths.Count / watch.Elapsed.TotalSeconds, cpuMs / paths.Count, allocated / (double)paths.Count);
    }

    /// <summary>The speed-up of a fixed amount of floating-point work on 2 threads over 1: how many cores the
    /// machine actually gives this process at the moment (other load lowers it).</summary>
    private static double ControlSpeedUp()
    {
        static double Work(int seed)
        {
            double sum = 0;
            for (int k = 0; k < 4_000_000; k++)
                sum += Math.Sqrt(k + seed);
            return sum;
        }
        double Time(int threads)
        {
            var watch = Stopwatch.StartNew();
            Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = threads }, i => Work(i));
            return watch.Elapsed.TotalSeconds;
        }
        Time(2);
        return Time(1) / Time(2);
    }

    /// <summary>A seeded picture: a colour gradient, a few discs and bars, and fine noise; JPEG quality 90.</summary>
    private static string WriteJpeg(string folder, int index)
    {
        var random = new Random(index);
        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info);
        var canvas = surface.Canvas;
        using (var paint = new SKPaint())
        {
            paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(Width, Height),
                [RandomColour(random), RandomColour(random)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, Width, Height, paint);
        }
        using (var paint = new SKPaint { IsAntialias = true })
        {
            for (int i = 0; i < 12; i++)
            {
                paint.Color = RandomColour(random).WithAlpha((byte)random.Next(120, 256));
                if (i % 2 == 0)
                    canvas.DrawCircle(random.Next(Width), random.Next(Height), random.Next(10, 120), paint);
                else
                    canvas.DrawRect(random.Next(Width), random.Next(Height), random.Next(20, 300), random.Next(5, 60), paint);
            }
        }
        using var image = surface.Snapshot();
        using var pixmap = image.PeekPixels();
        var pixels = pixmap.GetPixelSpan();
        var noisy = pixels.ToArray();
        for (int i = 0; i < noisy.Length; i++)
            if (i % 4 != 3)
                noisy[i] = (byte)Math.Clamp(noisy[i] + random.Next(-6, 7), 0, 255);
        using var withNoise = SKImage.FromPixelCopy(info, noisy);
        using var data = withNoise.Encode(SKEncodedImageFormat.Jpeg, 90);
        var path = Path.Combine(folder, $"image{index:D2}.jpg");
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    private static SKColor RandomColour(Random random) =>
        new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
}
