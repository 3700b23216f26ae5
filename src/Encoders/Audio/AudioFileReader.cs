namespace MMAdapt.Encoders.Audio;

/// <summary>
/// Reads audio files into mono <see cref="AudioClip"/>s: WAV by hand (no dependency), every other format
/// through ffmpeg when it is installed; optionally resampled to the rate a feature extractor expects.
/// </summary>
/// <remarks>
/// <para>A file is read as WAV when its bytes start with a RIFF/WAVE header or its name ends in <c>.wav</c>
/// or <c>.wave</c> (so a non-RIFF file named <c>.wav</c> fails with a clear error rather than going to
/// ffmpeg); anything else is handed to ffmpeg, which decodes it to 32-bit float WAV at its own rate and
/// channel count. Either way, channels are downmixed by their mean and resampling is
/// <see cref="Resampler.Resample(float[], int, int, int, double)"/> (torchaudio's Hann-windowed sinc), so
/// a clip is the same whatever container it came in.</para>
/// <para>WAV support and the choices for damaged files are described on <see cref="ReadWav"/>.</para>
/// </remarks>
public static class AudioFileReader
{
    /// <summary>Environment variable naming the ffmpeg executable when <see cref="FfmpegPath"/> is not set.</summary>
    public const string FfmpegEnvironmentVariable = "MMADAPT_FFMPEG";

    /// <summary>
    /// The ffmpeg executable used for non-WAV files. When null (the default): the
    /// <c>MMADAPT_FFMPEG</c> environment variable if set, else <c>ffmpeg</c> found on <c>PATH</c>.
    /// </summary>
    public static string? FfmpegPath { get; set; }

    /// <summary>The ffmpeg executable that <see cref="Read"/> would run now.</summary>
    public static string EffectiveFfmpegPath =>
        FfmpegPath ?? (Environment.GetEnvironmentVariable(FfmpegEnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : "ffmpeg");

    /// <summary>Reads an audio file as a mono clip.</summary>
    /// <param name="path">A WAV file, or any format ffmpeg decodes (FLAC, MP3, Ogg, M4A, ...).</param>
    /// <param name="targetSampleRate">Resample to this rate when the file's rate differs; null keeps the file's rate.</param>
    /// <returns>The clip; its <see cref="AudioClip.Source"/> is <paramref name="path"/>.</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="AudioFileException">The file cannot be decoded (see <see cref="ReadWav"/>), or it is
    /// not WAV and ffmpeg is missing (the message says how to install it) or fails on it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetSampleRate"/> is not positive.</exception>
    public static AudioClip Read(string path, int? targetSampleRate = null)
    {
        if (targetSampleRate is <= 0)
            throw new ArgumentOutOfRangeException(nameof(targetSampleRate), targetSampleRate, "target sample rate must be positive.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: audio file not found.", path);
        var length = new FileInfo(path).Length;
        if (length > Array.MaxLength)
            throw new AudioFileException(path, $"file is {length} bytes; files over {Array.MaxLength} bytes are not supported.");

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0)
            throw new AudioFileException(path, "file is empty (0 bytes); expected audio.");
        var extension = Path.GetExtension(path).ToLowerInvariant();
        var clip = WavParser.LooksLikeWav(bytes) || extension is ".wav" or ".wave"
            ? ReadWav(bytes, path)
            : ReadWav(FfmpegDecoder.DecodeToWav(path, EffectiveFfmpegPath), path);
        return targetSampleRate is int rate && rate != clip.SampleRate ? Resampler.Resample(clip, rate) : clip;
    }

    /// <summary>Decodes the bytes of a RIFF/WAVE file into a mono clip at the file's own rate.</summary>
    /// <remarks>
    /// <para>Formats: PCM 8-bit (unsigned), 16, 24 and 32-bit (also narrower samples such as 12 or 20 bits,
    /// left-justified in whole bytes); IEEE float 32 and 64-bit; WAVE_FORMAT_EXTENSIBLE with a PCM or float
    /// sub-format (<c>wValidBitsPerSample</c> checked, channel mask ignored). Any channel count; channels
    /// are averaged. Scaling is described on the sample decoder: 16-bit is <c>x / 32768</c>, 8-bit
    /// <c>(x - 128) / 128</c>, 24-bit <c>x / 8388608</c>, 32-bit <c>x / 2147483648</c>.</para>
    /// <para>Chunks may come in any order; unknown chunks are skipped; odd-sized chunks are followed by a
    /// pad byte.</para>
    /// <para>Choices for damaged files: the RIFF size is ignored (the bytes present are walked); a
    /// <c>data</c> chunk declaring more bytes than remain is truncated to the whole sample frames present,
    /// with a warning through <see cref="MMAdapt.Core.Diagnostics.Log"/> (no warning for 0xFFFFFFFF, the
    /// streaming "until end" size). A data chunk with no complete sample frame gives an empty clip
    /// (<c>Samples.Length == 0</c>), not an error: the feature extractors turn it into all-padding features,
    /// and a dataset can reject it by length.</para>
    /// </remarks>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">A name for error messages and <see cref="AudioClip.Source"/>, usually the path.</param>
    /// <exception cref="AudioFileException">Empty input, not RIFF/WAVE, a truncated header (the file ends
    /// before its 'fmt ' chunk or without a 'data' chunk), an inconsistent 'fmt ' chunk, or an unsupported
    /// codec such as A-law (6), mu-law (7) or ADPCM (2): the message names the file and the format code and
    /// lists what is supported.</exception>
    public static AudioClip ReadWav(ReadOnlySpan<byte> bytes, string sourceName)
    {
        var layout = WavParser.Parse(bytes, sourceName);
        var samples = WavSampleDecoder.DecodeMono(bytes.Slice(layout.DataOffset, layout.DataLength), layout.Format);
        return new AudioClip(samples, layout.Format.SampleRate, sourceName);
    }
}
