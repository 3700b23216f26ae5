namespace MMAdapt.Encoders.Audio;

/// <summary>
/// A decoded, mono audio clip: float samples nominally in [-1, 1] at <see cref="SampleRate"/> Hz.
/// </summary>
/// <param name="Samples">Mono samples (several channels are downmixed by their mean). May be empty: a
/// file whose data chunk holds no sample frames decodes to an empty clip rather than an error, so that a
/// dataset can decide what an empty row means; the feature extractors accept it (all padding).</param>
/// <param name="SampleRate">Samples per second, positive.</param>
/// <param name="Source">Where the samples came from (a file path or a caller's name), for error messages.</param>
public sealed record AudioClip(float[] Samples, int SampleRate, string Source)
{
    /// <summary>Duration in seconds: <c>Samples.Length / SampleRate</c>.</summary>
    public double DurationSeconds => (double)Samples.Length / SampleRate;

    /// <summary>The samples, after checking the clip is at <paramref name="expectedRate"/>.</summary>
    /// <param name="expectedRate">The rate the consumer needs, Hz.</param>
    /// <param name="consumer">Who needs it, for the message (e.g. "the Whisper feature extractor").</param>
    /// <exception cref="ArgumentException">The clip has another rate; the message names <see cref="Source"/>
    /// and how to resample.</exception>
    public float[] SamplesAt(int expectedRate, string consumer) =>
        SampleRate == expectedRate
            ? Samples
            : throw new ArgumentException(
                $"{Source}: audio is at {SampleRate} Hz but {consumer} expects {expectedRate} Hz; read it with AudioFileReader.Read(path, {expectedRate}) or use Resampler.Resample(clip, {expectedRate}).");
}
