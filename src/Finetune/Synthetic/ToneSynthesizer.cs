using MMAdapt.Finetune.Data;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// Renders a <see cref="ToneSpec"/> as 16-bit samples. Only additions, multiplications and
/// <see cref="PortableMath"/> are used, and noise comes from <see cref="SplitMix64"/>, so the same spec and
/// seed give the same samples on every machine.
/// </summary>
internal static class ToneSynthesizer
{
    private const double Peak = 0.5;           // of full scale
    private const double FadeSeconds = 0.005;  // at every start and stop, against clicks
    private const double BeepSeconds = 0.1;    // on, then off, for the same time
    private const int NoisePartials = 24;      // sinusoids in a noise band
    private const double NoiseOctaves = 0.15;  // each partial within this many octaves of the frequency

    private const int TableSize = 1 << 14;       // sine table entries per cycle (linear interpolation: error < 3e-8)

    // sin(2π k / TableSize) for k = 0 .. TableSize (one extra entry for interpolation), from PortableMath.
    private static readonly double[] SineTable =
        Enumerable.Range(0, TableSize + 1).Select(k => PortableMath.Sin(2 * Math.PI * k / TableSize)).ToArray();

    /// <summary>The samples of <paramref name="spec"/>.</summary>
    /// <remarks>
    /// A tone is one sine at the (gliding) frequency. Noise is a dense band of <see cref="NoisePartials"/> sines at
    /// random frequencies within ±0.15 octave of it, with random phases: it sounds like band-passed noise but
    /// has no energy outside its band, so the pitch classes stay apart for both sources.
    /// </remarks>
    /// <param name="spec">The sound.</param>
    /// <param name="sampleRate">Samples per second.</param>
    /// <param name="seconds">Duration.</param>
    /// <param name="random">Draws the noise band's partials (unused for tones).</param>
    public static short[] Synthesize(ToneSpec spec, int sampleRate, double seconds, SplitMix64 random)
    {
        int count = (int)Math.Round(seconds * sampleRate);
        var (ratios, cycles) = spec.Source == "noise" ? Partials(random) : ([1.0], [0.0]);
        var signal = new double[count];
        // An octave glide centred on the frequency: start at 2^∓0.5 of it and multiply by a fixed step per sample.
        double glide = spec.Pattern switch { "rising" => 1, "falling" => -1, _ => 0 };
        double hertz = spec.Hertz * PortableMath.Exp2(-0.5 * glide);
        double step = count > 1 ? PortableMath.Exp2(glide / (count - 1)) : 1;
        bool beeping = spec.Pattern == "beeping";
        for (int n = 0; n < count; n++, hertz *= step)
        {
            double sum = 0, perSample = hertz / sampleRate;
            for (int k = 0; k < ratios.Length; k++)
            {
                sum += Sine(cycles[k]);
                cycles[k] += perSample * ratios[k];
                cycles[k] -= Math.Floor(cycles[k]);
            }
            signal[n] = sum * Envelope(beeping, (double)n / sampleRate, seconds);
        }

        return Quantize(signal);
    }

    // sin(2π cycle) for cycle in [0, 1), from the table.
    private static double Sine(double cycle)
    {
        double at = cycle * TableSize;
        int i = (int)at;
        return SineTable[i] + (at - i) * (SineTable[i + 1] - SineTable[i]);
    }

    // Frequency ratios and starting phases (in cycles) of a noise band's partials.
    private static (double[] Ratios, double[] Cycles) Partials(SplitMix64 random)
    {
        var ratios = new double[NoisePartials];
        var cycles = new double[NoisePartials];
        for (int k = 0; k < NoisePartials; k++)
        {
            ratios[k] = PortableMath.Exp2(NoiseOctaves * (2 * random.NextDouble() - 1));
            cycles[k] = random.NextDouble();
        }
        return (ratios, cycles);
    }

    // Gain over time: fades at the ends, and for beeping at each beep's ends.
    private static double Envelope(bool beeping, double t, double seconds)
    {
        double gain = Ramp(Math.Min(t, seconds - t));
        if (!beeping)
            return gain;
        double inCycle = t - Math.Floor(t / (2 * BeepSeconds)) * 2 * BeepSeconds;
        return inCycle >= BeepSeconds ? 0 : gain * Ramp(Math.Min(inCycle, BeepSeconds - inCycle));
    }

    private static double Ramp(double distance) => Math.Clamp(distance / FadeSeconds, 0, 1);

    // Scales the loudest sample to Peak and rounds to 16 bits.
    private static short[] Quantize(double[] signal)
    {
        double max = 0;
        foreach (var s in signal)
            max = Math.Max(max, Math.Abs(s));
        double scale = max > 0 ? Peak * 32767 / max : 0;
        var samples = new short[signal.Length];
        for (int n = 0; n < signal.Length; n++)
            samples[n] = (short)Math.Round(signal[n] * scale);
        return samples;
    }
}
