namespace MMAdapt.Encoders.Images;

/// <summary>How a shortest-edge resize rounds the long side, <c>size * long / short</c>.</summary>
public enum ShortestEdgeRounding
{
    /// <summary><c>int(size * long / short)</c>: what Hugging Face's <c>get_resize_output_image_size</c> (and
    /// torchvision's <c>Resize</c>) do; the default, so pixel values match the HF processors.</summary>
    Truncate,

    /// <summary><c>round(size * long / short)</c> (Python's round, half to even): the convention of the team's
    /// reference fixtures (<c>image/clip_pixel_values</c>, <c>clip_vision/image_pixel_values</c>: 56x40 becomes
    /// 45x32, where Hugging Face gives 44x32).</summary>
    Round,
}
