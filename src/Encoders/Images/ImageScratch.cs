namespace MMAdapt.Encoders.Images;

/// <summary>
/// One worker's reusable buffers for decoding and resizing. A batch gives each worker thread one scratch,
/// so the per-image work allocates almost nothing after the first image (no GC contention between workers).
/// Buffers only grow; they are sized in bytes and may be longer than the image they hold.
/// </summary>
internal sealed class ImageScratch
{
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
    /// <summary>The last horizontal and vertical resampling coefficients (reused while sizes repeat).</summary>
    public ResampleCoefficients? HorizontalCoefficients, VerticalCoefficients;

    /// <summary>Returns <paramref name="buffer"/>, first replaced by a larger array when it holds fewer than
    /// <paramref name="length"/> bytes.</summary>
    public static byte[] Ensure(ref byte[] buffer, long length)
    {
        if (buffer.LongLength < length)
        {
            if (length > Array.MaxLength)
                throw new OutOfMemoryException($"an image buffer of {length} bytes is larger than a .NET array can be.");
            buffer = new byte[length];
        }
        return buffer;
    }
}
