namespace MMAdapt.Encoders.Images;

/// <summary>
/// Resampling filters, numbered as PIL numbers them (<c>PIL.Image.Resampling</c>, the <c>resample</c> key
/// of a <c>preprocessor_config.json</c>). The ones implemented; PIL's LANCZOS (1), BOX (4) and HAMMING (5)
/// are refused by <see cref="ImageProcessorConfig.Load"/>.
/// </summary>
public enum PilResample
{
    /// <summary>0: nearest neighbour (PIL's affine scale: source index <c>floor((x + 0.5) · in / out)</c>).</summary>
    Nearest = 0,

    /// <summary>2: triangle filter, support 1, widened by the scale factor when shrinking (antialiased).</summary>
    Bilinear = 2,

    /// <summary>3: cubic convolution with a = -0.5, support 2, widened by the scale factor when shrinking
    /// (antialiased); the CLIP and SigLIP default.</summary>
    Bicubic = 3,
}
