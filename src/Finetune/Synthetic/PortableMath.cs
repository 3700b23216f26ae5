namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// Sine and powers of two from additions, multiplications and divisions only, so that synthetic data are
/// bit-identical on every machine: <see cref="Math.Sin"/> and <see cref="Math.Pow"/> come from the platform's C
/// library and may differ in the last bit between systems. Accurate to about 1e-15 (ample for 16-bit audio
/// and pixel coordinates).
/// </summary>
internal static class PortableMath
{
    private const double TwoPi = 2 * Math.PI;
    private const double Ln2 = 0.69314718055994530942;

    /// <summary>sin(x), by reduction to [-π, π] and its Taylor series.</summary>
    public static double Sin(double x)
    {
        double r = x - Math.Round(x / TwoPi) * TwoPi; // Math.Round and Math.Floor are exact
        if (r > Math.PI / 2)
            r = Math.PI - r;
        else if (r < -Math.PI / 2)
            r = -Math.PI - r;
        double r2 = r * r, term = r, sum = r;
        for (int n = 1; n <= 12; n++)
        {
            term *= -r2 / ((2 * n) * (2 * n + 1));
            sum += term;
        }
        return sum;
    }

    /// <summary>cos(x) = sin(x + π/2).</summary>
    public static double Cos(double x) => Sin(x + Math.PI / 2);

    /// <summary>2^x: the integer part exactly (<see cref="Math.ScaleB"/>), the fraction by the exponential series.</summary>
    public static double Exp2(double x)
    {
        double whole = Math.Floor(x), y = (x - whole) * Ln2;
        double term = 1, sum = 1;
        for (int n = 1; n <= 20; n++)
        {
            term *= y / n;
            sum += term;
        }
        return Math.ScaleB(sum, (int)whole);
    }
}
