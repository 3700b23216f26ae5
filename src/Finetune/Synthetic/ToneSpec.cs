using MMAdapt.Finetune.Data;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>What a synthetic sound is.</summary>
/// <param name="Pitch">One of <see cref="SyntheticWords.Pitches"/>' names.</param>
/// <param name="Pattern">One of <see cref="SyntheticWords.Patterns"/>: <c>steady</c>; <c>beeping</c> (0.1 s on, 0.1 s
/// off); <c>rising</c> / <c>falling</c> (an octave glide, centred on <see cref="Hertz"/>).</param>
/// <param name="Source">One of <see cref="SyntheticWords.Sources"/>: a sine <c>tone</c>, or <c>noise</c> in a band
/// around the frequency (see <see cref="ToneSynthesizer"/>).</param>
/// <param name="Hertz">The centre frequency: the pitch class's, times a factor between 2^-0.1 and 2^0.1.</param>
internal sealed record ToneSpec(string Pitch, string Pattern, string Source, double Hertz)
{
    /// <summary>A uniformly drawn sound.</summary>
    public static ToneSpec Random(SplitMix64 random)
    {
        var (pitch, hertz) = random.Pick(SyntheticWords.Pitches);
        var pattern = random.Pick(SyntheticWords.Patterns);
        var source = random.Pick(SyntheticWords.Sources);
        return new ToneSpec(pitch, pattern, source, hertz * PortableMath.Exp2(0.2 * random.NextDouble() - 0.1));
    }
}
