using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MMAdapt.Encoders.Images;

/// <summary>
/// The two convolution passes of <see cref="PilResizer"/> on 8-bit RGB rows: fixed-point sums with PIL's
/// weights, rounding offset and clipping (<c>clamp((half + Σ v·w) &gt;&gt; 22, 0, 255)</c>). Integer arithmetic,
/// so the vector paths (SSE4.1 across the 3 channels of a pixel for the horizontal pass, 256-bit across a
/// row for the vertical pass) give exactly the scalar results.
/// </summary>
internal static class ResamplePasses
{
    private const int Half = 1 << (ResampleCoefficients.PrecisionBits - 1);

    /// <summary>Resamples rows <paramref name="firstRow"/>.. of <paramref name="input"/> along x into consecutive
    /// rows of <paramref name="output"/>.</summary>
    public static unsafe void Horizontal(byte[] input, int inStride, int firstRow, int rowCount, ResampleCoefficients c, byte[] output)
    {
        int outWidth = c.OutSize;
        long inLength = input.LongLength, outLength = output.LongLength;
        fixed (byte* inBase = input, outBase = output)
        fixed (int* weightBase = c.Weights, firstBase = c.First, countBase = c.Count)
        {
            for (int y = 0; y < rowCount; y++)
            {
                byte* inRow = inBase + (long)(firstRow + y) * inStride;
                byte* outPixel = outBase + (long)y * outWidth * 3;
                for (int x = 0; x < outWidth; x++, outPixel += 3)
                {
                    int* k = weightBase + x * c.Taps;
                    int n = countBase[x];
                    byte* p = inRow + firstBase[x] * 3;
                    // The vector path loads 4 bytes per pixel and stores 4: stay inside both arrays.
                    bool vector = Sse41.IsSupported && p + n * 3 + 1 <= inBase + inLength && outPixel + 4 <= outBase + outLength;
                    if (vector)
                        HorizontalPixelSse41(p, k, n, outPixel);
                    else
                        HorizontalPixelScalar(p, k, n, outPixel);
                }
            }
        }
    }

    private static unsafe void HorizontalPixelScalar(byte* p, int* k, int n, byte* outPixel)
    {
        int r = Half, g = Half, b = Half;
        for (int i = 0; i < n; i++, p += 3)
        {
            int w = k[i];
            r += p[0] * w;
            g += p[1] * w;
            b += p[2] * w;
        }
        outPixel[0] = Clip(r);
        outPixel[1] = Clip(g);
        outPixel[2] = Clip(b);
    }

    // (r, g, b, next byte) widened to 4 ints per tap; the 4th lane is junk and its output byte is overwritten by
    // the next pixel (or lies in the array's spare byte).
    private static unsafe void HorizontalPixelSse41(byte* p, int* k, int n, byte* outPixel)
    {
        var sum = Vector128.Create(Half);
        for (int i = 0; i < n; i++, p += 3)
            sum = Sse2.Add(sum, Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p), Vector128.Create(k[i])));
        var shifted = Sse2.ShiftRightArithmetic(sum, ResampleCoefficients.PrecisionBits);
        var words = Sse2.PackSignedSaturate(shifted, shifted);
        var bytes = Sse2.PackUnsignedSaturate(words, words); // saturates to 0..255, as PIL's clip8
        *(uint*)outPixel = bytes.AsUInt32().ToScalar();
    }

    /// <summary>Resamples along y; <paramref name="rowOffset"/> is the source row that row 0 of <paramref name="input"/>
    /// holds. <paramref name="accumulator"/> holds at least <paramref name="stride"/> ints.</summary>
    public static unsafe void Vertical(byte[] input, int rowOffset, int stride, ResampleCoefficients c, byte[] output, int[] accumulator)
    {
        fixed (byte* inBase = input, outBase = output)
        fixed (int* weightBase = c.Weights, sums = accumulator)
        {
            for (int y = 0; y < c.OutSize; y++)
            {
                int* k = weightBase + y * c.Taps;
                int n = c.Count[y];
                byte* inTop = inBase + (long)(c.First[y] - rowOffset) * stride;
                new Span<int>(sums, stride).Fill(Half);
                for (int i = 0; i < n; i++)
                    AddRow(inTop + (long)i * stride, k[i], sums, stride);
                StoreRow(sums, outBase + (long)y * stride, stride);
            }
        }
    }

    /// <summary><c>sums[x] += row[x] * weight</c> for x below <paramref name="length"/>.</summary>
    private static unsafe void AddRow(byte* row, int weight, int* sums, int length)
    {
        int x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var w = Vector256.Create(weight);
            for (; x <= length - 32; x += 32)
            {
                var (low, high) = Vector256.Widen(Vector256.Load(row + x));
                var (a, b) = Vector256.Widen(low);
                var (c, d) = Vector256.Widen(high);
                (Vector256.Load(sums + x) + a.AsInt32() * w).Store(sums + x);
                (Vector256.Load(sums + x + 8) + b.AsInt32() * w).Store(sums + x + 8);
                (Vector256.Load(sums + x + 16) + c.AsInt32() * w).Store(sums + x + 16);
                (Vector256.Load(sums + x + 24) + d.AsInt32() * w).Store(sums + x + 24);
            }
        }
        for (; x < length; x++)
            sums[x] += row[x] * weight;
    }

    /// <summary><c>row[x] = clip(sums[x])</c>.</summary>
    private static unsafe void StoreRow(int* sums, byte* row, int length)
    {
        int x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Min(Max(...)) is the clamp: Vector256.Clamp is .NET 9+, and the libraries also build for net8.0.
            var zero = Vector256<int>.Zero;
            var max = Vector256.Create(255);
            for (; x <= length - 32; x += 32)
            {
                var a = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(Vector256.Load(sums + x), ResampleCoefficients.PrecisionBits), zero), max);
                var b = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(Vector256.Load(sums + x + 8), ResampleCoefficients.PrecisionBits), zero), max);
                var c = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(Vector256.Load(sums + x + 16), ResampleCoefficients.PrecisionBits), zero), max);
                var d = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(Vector256.Load(sums + x + 24), ResampleCoefficients.PrecisionBits), zero), max);
                var low = Vector256.Narrow(a.AsUInt32(), b.AsUInt32());
                var high = Vector256.Narrow(c.AsUInt32(), d.AsUInt32());
                Vector256.Narrow(low, high).Store(row + x);
            }
        }
        for (; x < length; x++)
            row[x] = Clip(sums[x]);
    }

    /// <summary>PIL's <c>clip8</c>: the fixed-point sum to a byte.</summary>
    public static byte Clip(int value)
    {
        int v = value >> ResampleCoefficients.PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}
