namespace MMAdapt.Encoders.Audio;

/// <summary>
/// An audio file that cannot be decoded: not a RIFF/WAVE file, a malformed or truncated header, an
/// unsupported codec, or a non-WAV file with no ffmpeg to decode it. The message reads
/// <c>"PATH: detail"</c>, where PATH is the file path (or the name the caller gave the bytes).
/// </summary>
public sealed class AudioFileException : Exception
{
    /// <summary>Creates the exception; the message is <c>"{filePath}: {detail}"</c>.</summary>
    /// <param name="filePath">The file path, or the caller's name for the bytes.</param>
    /// <param name="detail">What is wrong and what was expected, without the file name.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public AudioFileException(string filePath, string detail, Exception? inner = null)
        : base($"{filePath}: {detail}", inner)
    {
        FilePath = filePath;
    }

    /// <summary>The file path, or the caller's name for the bytes, that could not be decoded.</summary>
    public string FilePath { get; }
}
