namespace MMAdapt.Encoders.Images;

/// <summary>
/// The fixed-point filter weights of one resampling pass (one axis), computed as PIL's
/// <c>precompute_coeffs</c> + <c>normalize_coeffs_8bpc</c> compute them.
/// </summary>
/// <remarks>
/// For output index i: <c>center = (i + 0.5) · scale</c> with <c>scale = in / out</c>; the filter is widened by
/// <c>filterscale = max(scale, 1)</c> (antialiasing when shrinking), so its support is
/// <c>support · filterscale</c>; taps run over <c>[(int)(center - support + 0.5), (int)(center + support + 0.5))</c>
/// clipped to the input, with weight <c>filter((j - center + 0.5) / filterscale)</c>, normalised to sum 1 and
/// then scaled by 2^22 and rounded half away from zero to <see cref="int"/>.
/// </remarks>
internal sealed class ResampleCoefficients
{
    /// <summary>Fractional bits of the fixed-point weights (PIL's <c>PRECISION_BITS</c>, 32 - 8 - 2).</summary>
    public const int PrecisionBits = 22;

    private ResampleCoefficients(int inSize, int outSize, PilResample filter, int taps, int[] first, int[] count, int[] weights)
    {
        InSize = inSize;
        OutSize = outSize;
        Filter = filter;
        Taps = taps;
        First = first;
        Count = count;
        Weights = weights;
    }

    /// <summary>Input length along the axis.</summary>
    public int InSize { get; }
    /// <summary>Output length along the axis.</summary>
    public int OutSize { get; }
    /// <summary>The filter.</summary>
    public PilResample Filter { get; }
    /// <summary>Weights stored per output index (the row length of <see cref="Weights"/>).</summary>
    public int Taps { get; }
    /// <summary>First input index used by each output index.</summary>
    public int[] First { get; }
    /// <summary>Number of input indices used by each output index.</summary>
    public int[] Count { get; }
    /// <summary>Fixed-point weights, <see cref="Taps"/> per output index.</summary>
    public int[] Weights { get; }

    /// <summary>True when these coefficients serve a pass from <paramref name="inSize"/> to <paramref name="outSize"/>.</summary>
    public bool Fits(int inSize, int outSize, PilResample filter) =>
        InSize == inSize && OutSize == outSize && Filter == filter;

    /// <summary>Returns <paramref name="cached"/> when it fits, else computes (and caches) new coefficients.</summary>
    public static ResampleCoefficients Get(ref ResampleCoefficients? cached, int inSize, int outSize, PilResample filter)
    {
        if (cached is null || !cached.Fits(inSize, outSize, filter))
            cached = Compute(inSize, outSize, filter);
        return cached;
    }

    /// <summary>Computes the weights for resampling <paramref name="inSize"/> samples to <paramref name="outSize"/>.</summary>
    public static ResampleCoefficients Compute(int inSize, int outSize, PilResample filter)
    {
        double support = filter switch
        {
            PilResample.Bilinear => 1.0,
            PilResample.Bicubic => 2.0,
            _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "only bilinear and bicubic use filter weights"),
        };
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        support *= filterScale;
        int taps = (int)Math.Ceiling(support) * 2 + 1;

        var first = new int[outSize];
        var count = new int[outSize];
        var weights = new int[outSize * taps];
        var raw = new double[taps];
        double inverse = 1.0 / filterScale;
        for (int i = 0; i < outSize; i++)
        {
            double center = (i + 0.5) * scale;
            int min = Math.Max((int)(center - support + 0.5), 0);
            int max = Math.Min((int)(center + support + 0.5), inSize) - min;
            double sum = 0.0;
            for (int j = 0; j < max; j++)
            {
                double w = Kernel(filter, (j + min - center + 0.5) * inverse);
                raw[j] = w;
                sum += w;
            }
            for (int j = 0; j < max; j++)
            {
                double w = sum != 0.0 ? raw[j] / sum : raw[j];
                weights[i * taps + j] = (int)(w < 0 ? -0.5 + w * (1 << PrecisionBits) : 0.5 + w * (1 << PrecisionBits));
            }
            first[i] = min;
            count[i] = max;
        }
        return new ResampleCoefficients(inSize, outSize, filter, taps, first, count, weights);
    }

    /// <summary>The filter kernel at <paramref name="x"/> (in input samples at scale 1).</summary>
    public static double Kernel(PilResample filter, double x)
    {
        if (x < 0.0)
            x = -x;
        if (filter == PilResample.Bilinear)
            return x < 1.0 ? 1.0 - x : 0.0;
        const double a = -0.5; // PIL's bicubic (Keys' cubic convolution with a = -0.5)
        if (x < 1.0)
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0)
            return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }
}
