namespace MMAdapt.Core.Checkpoints;

/// <summary>One tensor entry of a safetensors header.</summary>
/// <param name="Name">The tensor's key in the file (a Hugging Face state-dict name).</param>
/// <param name="Dtype">The element type.</param>
/// <param name="Shape">The dimensions, outermost first; empty for a 0-d scalar.</param>
/// <param name="Begin">First byte of the data, relative to the start of the data buffer (the header's <c>data_offsets[0]</c>).</param>
/// <param name="End">One past the last byte, relative to the data buffer (<c>data_offsets[1]</c>).</param>
public sealed record TensorInfo(string Name, SafetensorsDtype Dtype, long[] Shape, long Begin, long End)
{
    /// <summary>The number of data bytes, <c>End - Begin</c>.</summary>
    public long ByteLength => End - Begin;

    /// <summary>The number of elements (1 for a 0-d scalar, 0 when a dimension is 0).</summary>
    public long ElementCount => ShapeText.ElementCount(Shape);

    /// <summary>The shape as <c>[a,b]</c>, the form error messages use.</summary>
    public string ShapeString => ShapeText.Format(Shape);
}
