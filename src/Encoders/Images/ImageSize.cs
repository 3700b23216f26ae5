using System.Text.Json;
using System.Text.Json.Serialization;
using MMAdapt.Core.Configuration;

namespace MMAdapt.Encoders.Images;

/// <summary>
/// A <c>size</c> or <c>crop_size</c> of a <c>preprocessor_config.json</c>: <c>{"shortest_edge": 224}</c>,
/// <c>{"height": 384, "width": 384}</c>, or a bare number (older configs; its meaning depends on the
/// processor, see <see cref="ImageProcessorConfig.WithDefaults"/>).
/// </summary>
[JsonConverter(typeof(ImageSizeConverter))]
public sealed record ImageSize
{
    /// <summary><c>shortest_edge</c>: the short side after resizing (the long side keeps the aspect ratio).</summary>
    public int? ShortestEdge { get; init; }

    /// <summary><c>height</c>: output rows.</summary>
    public int? Height { get; init; }

    /// <summary><c>width</c>: output columns.</summary>
    public int? Width { get; init; }

    /// <summary>A bare number given instead of an object.</summary>
    public int? Scalar { get; init; }

    /// <summary>Keys found besides the ones above (e.g. <c>longest_edge</c>); validation refuses them.</summary>
    public IReadOnlyList<string> OtherKeys { get; init; } = [];

    /// <summary>A fixed <paramref name="height"/> x <paramref name="width"/>.</summary>
    public static ImageSize Fixed(int height, int width) => new() { Height = height, Width = width };

    /// <summary>A shortest-edge size.</summary>
    public static ImageSize Shortest(int edge) => new() { ShortestEdge = edge };

    /// <summary>The JSON form, e.g. <c>{"height": 32, "width": 32}</c>, for messages.</summary>
    public override string ToString() => JsonSerializer.Serialize(this, HfConfigReader.Options);
}
