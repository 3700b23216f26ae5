namespace MMAdapt.Core.Checkpoints;

/// <summary>Shape helpers shared by the readers, writers and their error messages.</summary>
internal static class ShapeText
{
    /// <summary>Formats a shape as <c>[11008,4096]</c> (no spaces, like the header).</summary>
    internal static string Format(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "[" + string.Join(",", parts) + "]";
    }

    /// <summary>The product of the dimensions (1 for a scalar).</summary>
    /// <exception cref="OverflowException">The product does not fit in 64 bits.</exception>
    internal static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
            count = checked(count * d);
        return count;
    }
}
