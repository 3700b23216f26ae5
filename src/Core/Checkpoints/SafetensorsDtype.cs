using static TorchSharp.torch;

namespace MMAdapt.Core.Checkpoints;

/// <summary>
/// The element types a safetensors file can hold that MMAdapt reads and writes. The member names are
/// the header strings (<c>"F32"</c>, <c>"BF16"</c>, ...). Other dtypes of the format (U16, U32, U64,
/// the F8 family) have no TorchSharp 0.107 equivalent and are rejected when a header names them.
/// </summary>
public enum SafetensorsDtype
{
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    BOOL,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>IEEE 754 half precision.</summary>
    F16,
    /// <summary>bfloat16 (the upper half of an IEEE single).</summary>
    BF16,
    /// <summary>IEEE 754 single precision.</summary>
    F32,
    /// <summary>IEEE 754 double precision.</summary>
    F64,
}

/// <summary>Conversions between <see cref="SafetensorsDtype"/>, header strings and <see cref="ScalarType"/>.</summary>
public static class SafetensorsDtypeExtensions
{
    /// <summary>Every supported dtype, in declaration order.</summary>
    public static IReadOnlyList<SafetensorsDtype> All { get; } = Enum.GetValues<SafetensorsDtype>();

    /// <summary>Bytes per element.</summary>
    public static int ByteSize(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.BOOL or SafetensorsDtype.U8 or SafetensorsDtype.I8 => 1,
        SafetensorsDtype.I16 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 => 2,
        SafetensorsDtype.I32 or SafetensorsDtype.F32 => 4,
        SafetensorsDtype.I64 or SafetensorsDtype.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The string the header uses (<c>"F32"</c>, <c>"BF16"</c>, ...).</summary>
    public static string ToHeaderString(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.BOOL => "BOOL",
        SafetensorsDtype.U8 => "U8",
        SafetensorsDtype.I8 => "I8",
        SafetensorsDtype.I16 => "I16",
        SafetensorsDtype.I32 => "I32",
        SafetensorsDtype.I64 => "I64",
        SafetensorsDtype.F16 => "F16",
        SafetensorsDtype.BF16 => "BF16",
        SafetensorsDtype.F32 => "F32",
        SafetensorsDtype.F64 => "F64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Parses a header dtype string (case-sensitive, as the format defines it).</summary>
    /// <returns>False for strings that are not a supported dtype.</returns>
    public static bool TryParseHeaderString(string text, out SafetensorsDtype dtype) =>
        TryFind(d => d.ToHeaderString() == text, out dtype);

    /// <summary>The TorchSharp element type.</summary>
    public static ScalarType ToScalarType(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.BOOL => ScalarType.Bool,
        SafetensorsDtype.U8 => ScalarType.Byte,
        SafetensorsDtype.I8 => ScalarType.Int8,
        SafetensorsDtype.I16 => ScalarType.Int16,
        SafetensorsDtype.I32 => ScalarType.Int32,
        SafetensorsDtype.I64 => ScalarType.Int64,
        SafetensorsDtype.F16 => ScalarType.Float16,
        SafetensorsDtype.BF16 => ScalarType.BFloat16,
        SafetensorsDtype.F32 => ScalarType.Float32,
        SafetensorsDtype.F64 => ScalarType.Float64,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The safetensors dtype of a TorchSharp element type.</summary>
    /// <returns>False for types the format cannot hold here (complex, quantized).</returns>
    public static bool TryFromScalarType(ScalarType type, out SafetensorsDtype dtype) =>
        TryFind(d => d.ToScalarType() == type, out dtype);

    private static bool TryFind(Func<SafetensorsDtype, bool> match, out SafetensorsDtype dtype)
    {
        foreach (var candidate in All)
        {
            if (match(candidate))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>The safetensors dtype of a TorchSharp element type.</summary>
    /// <exception cref="ArgumentException">The type has no safetensors equivalent here.</exception>
    public static SafetensorsDtype FromScalarType(ScalarType type) =>
        TryFromScalarType(type, out var dtype)
            ? dtype
            : throw new ArgumentException($"{type} has no safetensors dtype (supported: {SupportedList})", nameof(type));

    /// <summary>The supported header strings, comma-separated (for error messages).</summary>
    public static string SupportedList => string.Join(", ", All.Select(d => d.ToHeaderString()));

    /// <summary>
    /// Position in the reference implementation's dtype enum, which lists dtypes in increasing
    /// alignment; its writer lays tensors out by this rank descending, then by name.
    /// </summary>
    internal static int ReferenceRank(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.BOOL => 0,
        SafetensorsDtype.U8 => 1,
        SafetensorsDtype.I8 => 2,
        SafetensorsDtype.I16 => 5,
        SafetensorsDtype.F16 => 7,
        SafetensorsDtype.BF16 => 8,
        SafetensorsDtype.I32 => 9,
        SafetensorsDtype.F32 => 11,
        SafetensorsDtype.F64 => 12,
        SafetensorsDtype.I64 => 13,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>True for F16, BF16, F32 and F64.</summary>
    public static bool IsFloatingPoint(this SafetensorsDtype dtype) =>
        dtype is SafetensorsDtype.F16 or SafetensorsDtype.BF16 or SafetensorsDtype.F32 or SafetensorsDtype.F64;
}
