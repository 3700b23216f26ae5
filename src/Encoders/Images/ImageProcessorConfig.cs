using System.Text.Json.Serialization;
using MMAdapt.Core.Configuration;

namespace MMAdapt.Encoders.Images;

/// <summary>
/// A Hugging Face <c>preprocessor_config.json</c> for an image processor: CLIP (<c>CLIPImageProcessor</c>:
/// shortest-edge resize, centre crop) or SigLIP (<c>SiglipImageProcessor</c>: fixed height/width resize, no
/// crop); then rescale and normalise. Keys left out take the processor's Hugging Face defaults
/// (<see cref="WithDefaults"/>).
/// </summary>
public sealed record ImageProcessorConfig
{
    /// <summary>The processor types understood (the <c>Fast</c> variants are preprocessed the PIL way too).
    /// A legacy <c>feature_extractor_type</c> such as <c>CLIPFeatureExtractor</c> counts as its image processor.</summary>
    public static IReadOnlyList<string> SupportedProcessorTypes { get; } =
        ["CLIPImageProcessor", "CLIPImageProcessorFast", "SiglipImageProcessor", "SiglipImageProcessorFast"];

    /// <summary>OpenAI CLIP's per-channel mean (<c>OPENAI_CLIP_MEAN</c>).</summary>
    public static IReadOnlyList<double> ClipMean { get; } = [0.48145466, 0.4578275, 0.40821073];

    /// <summary>OpenAI CLIP's per-channel standard deviation (<c>OPENAI_CLIP_STD</c>).</summary>
    public static IReadOnlyList<double> ClipStd { get; } = [0.26862954, 0.26130258, 0.27577711];

    /// <summary><c>image_processor_type</c>: one of <see cref="SupportedProcessorTypes"/>.</summary>
    [JsonPropertyName("image_processor_type")] public string? ImageProcessorType { get; init; }
    /// <summary><c>feature_extractor_type</c>: the legacy name (<c>CLIPFeatureExtractor</c>), used when
    /// <see cref="ImageProcessorType"/> is absent.</summary>
    [JsonPropertyName("feature_extractor_type")] public string? FeatureExtractorType { get; init; }
    /// <summary><c>do_resize</c>: resize to <see cref="Size"/>.</summary>
    [JsonPropertyName("do_resize")] public bool DoResize { get; init; } = true;
    /// <summary><c>size</c>: <c>shortest_edge</c> (CLIP; default 224) or <c>height</c>/<c>width</c> (SigLIP; default
    /// 224x224). A bare number means shortest edge for CLIP and a square for SigLIP.</summary>
    [JsonPropertyName("size")] public ImageSize? Size { get; init; }
    /// <summary><c>resample</c>: PIL filter code, 0 nearest, 2 bilinear, 3 bicubic (default).</summary>
    [JsonPropertyName("resample")] public int Resample { get; init; } = (int)PilResample.Bicubic;
    /// <summary><c>do_center_crop</c>: CLIP only (default true); SigLIP processors never crop.</summary>
    [JsonPropertyName("do_center_crop")] public bool? DoCenterCrop { get; init; }
    /// <summary><c>crop_size</c>: <c>height</c>/<c>width</c> of the centre crop (default 224x224); a bare number is a square.</summary>
    [JsonPropertyName("crop_size")] public ImageSize? CropSize { get; init; }
    /// <summary><c>do_rescale</c>: multiply by <see cref="RescaleFactor"/>.</summary>
    [JsonPropertyName("do_rescale")] public bool DoRescale { get; init; } = true;
    /// <summary><c>rescale_factor</c>: default 1/255.</summary>
    [JsonPropertyName("rescale_factor")] public double RescaleFactor { get; init; } = 1.0 / 255;
    /// <summary><c>do_normalize</c>: subtract <see cref="ImageMean"/>, divide by <see cref="ImageStd"/> per channel.</summary>
    [JsonPropertyName("do_normalize")] public bool DoNormalize { get; init; } = true;
    /// <summary><c>image_mean</c>: 3 values (default CLIP's for CLIP, 0.5 for SigLIP).</summary>
    [JsonPropertyName("image_mean")] public IReadOnlyList<double>? ImageMean { get; init; }
    /// <summary><c>image_std</c>: 3 values (default CLIP's for CLIP, 0.5 for SigLIP).</summary>
    [JsonPropertyName("image_std")] public IReadOnlyList<double>? ImageStd { get; init; }
    /// <summary><c>do_convert_rgb</c>: recorded only; images are always decoded to RGB.</summary>
    [JsonPropertyName("do_convert_rgb")] public bool? DoConvertRgb { get; init; }

    /// <summary>Not a Hugging Face key: how a shortest-edge resize rounds the long side. Default
    /// <see cref="ShortestEdgeRounding.Truncate"/>, as Hugging Face does; <see cref="ShortestEdgeRounding.Round"/>
    /// reproduces the team's reference fixtures.</summary>
    [JsonIgnore] public ShortestEdgeRounding ShortestEdgeRounding { get; init; } = ShortestEdgeRounding.Truncate;

    /// <summary>The processor type in effect: <see cref="ImageProcessorType"/>, else the image-processor name of
    /// <see cref="FeatureExtractorType"/>, else null.</summary>
    [JsonIgnore]
    public string? ProcessorType => ImageProcessorType ?? FeatureExtractorType?.Replace("FeatureExtractor", "ImageProcessor");

    /// <summary>True for the SigLIP processors (fixed-size resize, no crop).</summary>
    [JsonIgnore]
    public bool IsSiglip => ProcessorType?.StartsWith("Siglip", StringComparison.Ordinal) == true;

    /// <summary>The resampling filter (valid after <see cref="Validate"/>).</summary>
    [JsonIgnore]
    public PilResample Filter => (PilResample)Resample;

    /// <summary>Reads, completes (<see cref="WithDefaults"/>) and validates a <c>preprocessor_config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Bad JSON, an unsupported processor type or resample filter (the
    /// message lists the supported ones) or an invalid value; the message names the file and the key.</exception>
    public static ImageProcessorConfig Load(string path)
    {
        var config = HfConfigReader.Read<ImageProcessorConfig>(path).WithDefaults(path);
        config.Validate(path);
        return config;
    }

    /// <summary>
    /// Fills what the JSON left out with the processor's Hugging Face defaults and resolves bare-number sizes:
    /// CLIP: <c>size</c> shortest edge 224, <c>do_center_crop</c> true, <c>crop_size</c> 224x224, CLIP mean/std;
    /// SigLIP: <c>size</c> 224x224, no crop, mean/std 0.5.
    /// </summary>
    /// <param name="source">Names the config in errors.</param>
    /// <exception cref="InvalidDataException">The processor type is missing or not supported.</exception>
    public ImageProcessorConfig WithDefaults(string source = "image processor config")
    {
        var type = ProcessorType;
        if (type is null || !SupportedProcessorTypes.Contains(type))
            throw new InvalidDataException(
                $"{source}: image_processor_type '{type ?? "(missing)"}' is not supported; supported: {string.Join(", ", SupportedProcessorTypes)} " +
                "(or feature_extractor_type CLIPFeatureExtractor).");
        bool siglip = IsSiglip;
        return this with
        {
            Size = Size is { Scalar: int n }
                ? siglip ? ImageSize.Fixed(n, n) : ImageSize.Shortest(n)
                : Size ?? (siglip ? ImageSize.Fixed(224, 224) : ImageSize.Shortest(224)),
            DoCenterCrop = !siglip && (DoCenterCrop ?? true),
            CropSize = CropSize is { Scalar: int c } ? ImageSize.Fixed(c, c) : CropSize ?? ImageSize.Fixed(224, 224),
            ImageMean = ImageMean ?? (siglip ? [0.5, 0.5, 0.5] : ClipMean),
            ImageStd = ImageStd ?? (siglip ? [0.5, 0.5, 0.5] : ClipStd),
        };
    }

    /// <summary>Checks a completed config (after <see cref="WithDefaults"/>).</summary>
    /// <param name="source">Names the config in errors.</param>
    /// <exception cref="InvalidDataException">The message names <paramref name="source"/>, the key and what was expected.</exception>
    public void Validate(string source = "image processor config")
    {
        if (!Enum.IsDefined((PilResample)Resample))
            throw new InvalidDataException(
                $"{source}: resample {Resample}{PilName(Resample)} is not supported; supported: 0 (nearest), 2 (bilinear), 3 (bicubic).");
        if (DoResize)
            CheckSize(source, "size", Size, allowShortestEdge: !IsSiglip);
        if (DoCenterCrop == true)
            CheckSize(source, "crop_size", CropSize, allowShortestEdge: false);
        if (DoRescale && !(RescaleFactor > 0 && double.IsFinite(RescaleFactor)))
            throw new InvalidDataException($"{source}: rescale_factor must be a positive number, got {RescaleFactor}.");
        if (DoNormalize)
        {
            CheckChannels(source, "image_mean", ImageMean, nonZero: false);
            CheckChannels(source, "image_std", ImageStd, nonZero: true);
        }
    }

    private static void CheckSize(string source, string key, ImageSize? size, bool allowShortestEdge)
    {
        string expected = allowShortestEdge ? "{\"shortest_edge\": N} or {\"height\": H, \"width\": W}" : "{\"height\": H, \"width\": W}";
        if (size is null)
            throw new InvalidDataException($"{source}: {key} is missing; expected {expected}.");
        if (size.OtherKeys.Count > 0)
            throw new InvalidDataException($"{source}: {key}.{size.OtherKeys[0]} is not supported; expected {expected}.");
        bool fixedSize = size.Height is not null || size.Width is not null;
        if (size.ShortestEdge is int edge && allowShortestEdge && !fixedSize)
        {
            if (edge < 1)
                throw new InvalidDataException($"{source}: {key}.shortest_edge must be at least 1, got {edge}.");
            return;
        }
        if (size.ShortestEdge is not null || size.Height is null || size.Width is null)
            throw new InvalidDataException($"{source}: {key} is {size}; expected {expected}.");
        if (size.Height < 1 || size.Width < 1)
            throw new InvalidDataException($"{source}: {key} must be at least 1x1, got {size}.");
    }

    private static void CheckChannels(string source, string key, IReadOnlyList<double>? values, bool nonZero)
    {
        if (values is null || values.Count != 3)
            throw new InvalidDataException($"{source}: {key} must have 3 values (R, G, B), got {values?.Count ?? 0}.");
        if (values.Any(v => !double.IsFinite(v) || (nonZero && v == 0)))
            throw new InvalidDataException($"{source}: {key} must hold finite{(nonZero ? ", non-zero" : "")} numbers, got [{string.Join(", ", values)}].");
    }

    private static string PilName(int code) => code switch
    {
        1 => " (LANCZOS)",
        4 => " (BOX)",
        5 => " (HAMMING)",
        _ => "",
    };
}
