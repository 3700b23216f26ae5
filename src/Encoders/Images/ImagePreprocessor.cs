using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MMAdapt.Encoders.Images;

/// <summary>
/// Turns images into a vision tower's <c>pixel_values</c> as the Hugging Face processor named by a
/// <c>preprocessor_config.json</c> does: optional LLaVA pad-to-square, PIL-exact resize
/// (<see cref="PilResizer"/>), centre crop (<see cref="ImageGeometry.CenterCrop"/>), rescale and normalise, in
/// float32 exactly as numpy computes them.
/// </summary>
/// <remarks>
/// Batches decode and resize in parallel, one reusable scratch per worker, and write each image straight into
/// the output tensor, so the per-image work allocates almost nothing. Thread-safe: one preprocessor may serve
/// many threads.
/// </remarks>
public sealed class ImagePreprocessor
{
    private readonly float[] lookup; // [channel * 256 + byte]: the normalised value of a byte
    private readonly (byte Red, byte Green, byte Blue) padColour;

    /// <summary>Reads <c>preprocessor_config.json</c> from a Hugging Face model folder.</summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="padToSquare">LLaVA's <c>image_aspect_ratio: pad</c> (<see cref="ImageResizeMode.PadToSquare"/>).</param>
    /// <exception cref="FileNotFoundException">The folder has no preprocessor_config.json.</exception>
    /// <exception cref="InvalidDataException">The config is invalid or unsupported (the message names the file and key).</exception>
    public static ImagePreprocessor FromPretrained(string folder, bool padToSquare = false) =>
        new(ImageProcessorConfig.Load(Path.Combine(folder, "preprocessor_config.json")), padToSquare);

    /// <summary>Creates a preprocessor; keys the config leaves unset take the processor's defaults.</summary>
    /// <exception cref="InvalidDataException">The config is invalid or unsupported.</exception>
    public ImagePreprocessor(ImageProcessorConfig config, bool padToSquare = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.WithDefaults();
        Config.Validate();
        PadToSquare = padToSquare;
        Mode = padToSquare ? ImageResizeMode.PadToSquare
            : Config.Size!.ShortestEdge is not null ? ImageResizeMode.ShortestEdgeCrop : ImageResizeMode.Squash;
        padColour = ImageGeometry.MeanColour(Config.ImageMean!);
        lookup = BuildLookup(Config);
    }

    /// <summary>The config in effect (defaults filled in).</summary>
    public ImageProcessorConfig Config { get; }

    /// <summary>How images are resized.</summary>
    public ImageResizeMode Mode { get; }

    /// <summary>True when images are first padded to a square (LLaVA).</summary>
    public bool PadToSquare { get; }

    /// <summary>The canvas colour of pad-to-square: <c>int(mean * 255)</c> per channel.</summary>
    public (byte Red, byte Green, byte Blue) PadColour => padColour;

    /// <summary>True when every image comes out the same size (needed by <see cref="PreprocessFiles"/>): a centre crop,
    /// a fixed-size resize, or a shortest-edge resize of a padded square.</summary>
    public bool HasFixedOutputSize => FixedOutputSize() is not null;

    /// <summary>Rows of every output image.</summary>
    /// <exception cref="InvalidOperationException">The output size depends on the image (<see cref="HasFixedOutputSize"/> is false).</exception>
    public int OutputHeight => RequireFixedSize().Height;

    /// <summary>Columns of every output image.</summary>
    /// <exception cref="InvalidOperationException">The output size depends on the image (<see cref="HasFixedOutputSize"/> is false).</exception>
    public int OutputWidth => RequireFixedSize().Width;

    /// <summary>The <c>pixel_values</c> of one image: float32 <c>[3, height, width]</c>, normalised.</summary>
    public Tensor Preprocess(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ImageScratch.With(scratch =>
        {
            var prepared = Prepare(RgbView.Of(image), scratch);
            var (height, width) = OutputSizeOf(prepared);
            var result = empty([3, height, width], ScalarType.Float32);
            unsafe
            {
                Normalise(prepared, new Span<float>(DataPointer(result), 3 * height * width), height, width);
            }
            return result;
        });
    }

    /// <summary>
    /// Decodes and preprocesses image files into one batch <c>[paths.Count, 3, OutputHeight, OutputWidth]</c>,
    /// in parallel on up to <paramref name="maxThreads"/> threads (default: all cores); order is kept.
    /// </summary>
    /// <exception cref="ImageDecodeException">A file cannot be decoded; the message names it and its index
    /// (the lowest failing index when several fail).</exception>
    /// <exception cref="InvalidOperationException">The config gives no fixed output size (<see cref="HasFixedOutputSize"/>).</exception>
    public Tensor PreprocessFiles(IReadOnlyList<string> paths, int? maxThreads = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return Batch(paths.Count, maxThreads, (i, scratch) =>
        {
            int length = ImageDecoder.ReadFile(paths[i], scratch);
            return ImageDecoder.DecodeInto(scratch.Encoded.AsSpan(0, length), paths[i], scratch);
        }, i => paths[i]);
    }

    /// <summary>Preprocesses decoded images into one batch <c>[images.Count, 3, OutputHeight, OutputWidth]</c>, in parallel.</summary>
    /// <exception cref="InvalidOperationException">The config gives no fixed output size (<see cref="HasFixedOutputSize"/>).</exception>
    public Tensor PreprocessBatch(IReadOnlyList<RgbImage> images, int? maxThreads = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        return Batch(images.Count, maxThreads, (i, _) => RgbView.Of(images[i]), i => images[i].Source);
    }

    private Tensor Batch(int count, int? maxThreads, Func<int, ImageScratch, RgbView> load, Func<int, string> name)
    {
        if (maxThreads is < 1)
            throw new ArgumentOutOfRangeException(nameof(maxThreads), maxThreads, "must be at least 1");
        var (height, width) = RequireFixedSize();
        int perImage = 3 * height * width;
        var result = empty([count, 3, height, width], ScalarType.Float32);
        if (count == 0)
            return result;
        (int Index, Exception Error)? firstError = null;
        var gate = new object();
        try
        {
            nint basePointer;
            unsafe { basePointer = (nint)DataPointer(result); }
            var options = new ParallelOptions { MaxDegreeOfParallelism = maxThreads ?? Environment.ProcessorCount };
            Parallel.For(0, count, options, ImageScratch.Rent, (i, state, scratch) =>
            {
                try
                {
                    var prepared = Prepare(load(i, scratch), scratch);
                    unsafe
                    {
                        Normalise(prepared, new Span<float>((float*)basePointer + (long)i * perImage, perImage), height, width);
                    }
                }
                catch (Exception e)
                {
                    lock (gate)
                        if (firstError is null || i < firstError.Value.Index)
                            firstError = (i, e);
                    state.Stop();
                }
                return scratch;
            }, ImageScratch.Return);
        }
        catch
        {
            result.Dispose();
            throw;
        }
        if (firstError is (int index, Exception error))
        {
            result.Dispose();
            throw error is ImageDecodeException decode
                ? decode.AtIndex(index, count)
                : new ImageDecodeException(name(index), $"preprocessing failed: {error.Message}", index, count, error);
        }
        return result;
    }

    /// <summary>Pad (LLaVA) and resize; the result may live in the scratch.</summary>
    private RgbView Prepare(RgbView image, ImageScratch scratch)
    {
        if (PadToSquare && image.Width != image.Height)
            image = ImageGeometry.ExpandToSquare(image, padColour, scratch);
        if (Config.DoResize)
        {
            var size = Config.Size!;
            var (height, width) = size.ShortestEdge is int edge
                ? ImageGeometry.ShortestEdgeSize(image.Width, image.Height, edge, Config.ShortestEdgeRounding)
                : (size.Height!.Value, size.Width!.Value);
            image = PilResizer.Resize(image, width, height, Config.Filter, scratch);
        }
        return image;
    }

    private (int Height, int Width) OutputSizeOf(RgbView prepared) =>
        Config.DoCenterCrop == true ? (Config.CropSize!.Height!.Value, Config.CropSize.Width!.Value) : (prepared.Height, prepared.Width);

    /// <summary>Centre-crops (when configured) and writes the normalised CHW floats into <paramref name="destination"/>.</summary>
    private void Normalise(RgbView image, Span<float> destination, int height, int width)
    {
        var (top, left) = Config.DoCenterCrop == true
            ? ImageGeometry.CenterCropOrigin(image.Width, image.Height, height, width)
            : (0, 0);
        int plane = height * width;
        var pixels = image.Pixels;
        var table = lookup.AsSpan();
        for (int y = 0; y < height; y++)
        {
            int sourceY = top + y;
            bool rowInside = sourceY >= 0 && sourceY < image.Height;
            for (int x = 0; x < width; x++)
            {
                int sourceX = left + x, o = y * width + x;
                if (rowInside && sourceX >= 0 && sourceX < image.Width)
                {
                    int p = (sourceY * image.Width + sourceX) * 3;
                    destination[o] = table[pixels[p]];
                    destination[plane + o] = table[256 + pixels[p + 1]];
                    destination[2 * plane + o] = table[512 + pixels[p + 2]];
                }
                else
                {
                    // HF's center_crop pads with zeros before rescaling and normalising.
                    destination[o] = table[0];
                    destination[plane + o] = table[256];
                    destination[2 * plane + o] = table[512];
                }
            }
        }
    }

    /// <summary>The normalised value of every byte per channel, in float32 arithmetic as numpy does it:
    /// <c>float32(v * rescale_factor)</c> (computed in float64, then rounded), then <c>(x - mean) / std</c> in float32.</summary>
    private static float[] BuildLookup(ImageProcessorConfig config)
    {
        var table = new float[3 * 256];
        for (int c = 0; c < 3; c++)
        {
            float mean = (float)config.ImageMean![c], std = (float)config.ImageStd![c];
            for (int v = 0; v < 256; v++)
            {
                float x = config.DoRescale ? (float)(v * config.RescaleFactor) : v;
                table[c * 256 + v] = config.DoNormalize ? (x - mean) / std : x;
            }
        }
        return table;
    }

    private (int Height, int Width)? FixedOutputSize()
    {
        if (Config.DoCenterCrop == true)
            return (Config.CropSize!.Height!.Value, Config.CropSize.Width!.Value);
        if (!Config.DoResize)
            return null;
        var size = Config.Size!;
        if (size.ShortestEdge is int edge)
            return PadToSquare ? (edge, edge) : null;
        return (size.Height!.Value, size.Width!.Value);
    }

    private (int Height, int Width) RequireFixedSize() =>
        FixedOutputSize() ?? throw new InvalidOperationException(
            "this image processor config gives images of different sizes (no centre crop and no fixed-size resize), so they cannot share a batch; " +
            "set do_center_crop with crop_size, or a size with height and width.");

    /// <summary>The address of element 0 of a new (CPU, contiguous) tensor; TorchSharp's span views stop at
    /// 2 GiB, so the span of a one-element view gives the base and the caller walks on.</summary>
    private static unsafe float* DataPointer(Tensor tensor)
    {
        using var flat = tensor.view(-1);
        using var first = flat.narrow(0, 0, 1);
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }
}
