namespace MMAdapt.Encoders.Images;

/// <summary>How an <see cref="ImagePreprocessor"/> brings an image to the vision tower's input size.</summary>
public enum ImageResizeMode
{
    /// <summary>CLIP: resize so the short side is <c>size.shortest_edge</c> (aspect kept), then centre-crop to <c>crop_size</c>.</summary>
    ShortestEdgeCrop,

    /// <summary>SigLIP: resize straight to <c>size.height</c> x <c>size.width</c>, whatever the aspect ratio.</summary>
    Squash,

    /// <summary>LLaVA's <c>image_aspect_ratio: pad</c>: paste the image centred on a square canvas filled with the
    /// processor's mean colour (<c>expand2square</c>), then the processor's own resize (and crop).</summary>
    PadToSquare,
}
