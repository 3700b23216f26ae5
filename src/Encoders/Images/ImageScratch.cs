using System.Collections.Concurrent;

namespace MMAdapt.Encoders.Images;

/// <summary>
/// One worker's reusable buffers for decoding and resizing. A batch gives each worker one scratch, rented from
/// a small process-wide pool, so the per-image work allocates almost nothing once the buffers have grown (no
/// large-object-heap churn, no GC contention between workers). Buffers only grow and may be longer than the
/// image they hold. The pool keeps at most one scratch per core, each under <see cref="MaxPooledBytes"/>
/// (about 3 MiB for a 640x480 image), so what it retains is at most the peak a parallel batch needed.
/// </summary>
internal sealed class ImageScratch
{
    /// <summary>A scratch holding more than this is dropped rather than pooled (a huge image's buffers are not kept).</summary>
    public const long MaxPooledBytes = 64L << 20;

    private static readonly ConcurrentBag<ImageScratch> Pool = [];
    private static readonly int MaxPooled = Environment.ProcessorCount;

    /// <summary>A pooled scratch, or a new one.</summary>
    public static ImageScratch Rent() => Pool.TryTake(out var scratch) ? scratch : new ImageScratch();

    /// <summary>Gives a scratch back to the pool (dropped when the pool is full or the scratch is large).</summary>
    public static void Return(ImageScratch scratch)
    {
        if (scratch.RetainedBytes <= MaxPooledBytes && Pool.Count < MaxPooled)
            Pool.Add(scratch);
    }

    /// <summary>Runs <paramref name="work"/> with a rented scratch and returns the scratch afterwards.</summary>
    public static T With<T>(Func<ImageScratch, T> work)
    {
        var scratch = Rent();
        try
        {
            return work(scratch);
        }
        finally
        {
            Return(scratch);
        }
    }

    /// <summary>Bytes held by the buffers.</summary>
    public long RetainedBytes =>
        Encoded.LongLength + Rgba.LongLength + Rgb.LongLength + Square.LongLength + Horizontal.LongLength + Resized.LongLength + 4L * Sums.LongLength;

    /// <summary>The encoded file.</summary>
    public byte[] Encoded = [];
    /// <summary>The decoder's RGBA output (unpremultiplied, as stored: before orientation).</summary>
    public byte[] Rgba = [];
    /// <summary>The upright RGB image.</summary>
    public byte[] Rgb = [];
    /// <summary>The square canvas of pad-to-square mode.</summary>
    public byte[] Square = [];
    /// <summary>The horizontally resampled rows.</summary>
    public byte[] Horizontal = [];
    /// <summary>The resized image.</summary>
    public byte[] Resized = [];
    /// <summary>One row of fixed-point sums for the vertical pass.</summary>
    public int[] Sums = [];
    /// <summary>The last horizontal and vertical resampling coefficients (reused while sizes repeat).</summary>
    public ResampleCoefficients? HorizontalCoefficients, VerticalCoefficients;

    /// <summary>Returns <paramref name="buffer"/>, first replaced by a larger array when it holds fewer than
    /// <paramref name="length"/> elements.</summary>
    public static T[] Ensure<T>(ref T[] buffer, long length)
    {
        if (buffer.LongLength < length)
        {
            if (length > Array.MaxLength)
                throw new OutOfMemoryException($"an image buffer of {length} elements is larger than a .NET array can be.");
            buffer = new T[length];
        }
        return buffer;
    }
}
