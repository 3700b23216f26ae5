using System.ComponentModel;
using System.Diagnostics;

namespace MMAdapt.Encoders.Audio;

/// <summary>
/// Decodes any audio file ffmpeg understands (FLAC, MP3, Ogg/Opus, M4A/AAC, ...) into the bytes of a
/// 32-bit float WAV at the file's own sample rate and channel count, which <see cref="WavParser"/> then reads.
/// </summary>
/// <remarks>
/// ffmpeg is asked neither to downmix nor to resample (<c>ffmpeg -nostdin -v error -i FILE -vn -map_metadata -1
/// -f wav -c:a pcm_f32le -</c>), so every format goes through the same mean downmix and the same
/// torchaudio-compatible <see cref="Resampler"/> as WAV files do, and gives the same samples whatever
/// container the audio came in.
/// </remarks>
internal static class FfmpegDecoder
{
    /// <summary>How to install ffmpeg, for error messages.</summary>
    public const string InstallHint =
        "install ffmpeg (Debian/Ubuntu: 'sudo apt-get install ffmpeg'; macOS: 'brew install ffmpeg'; "
        + "Windows: 'winget install ffmpeg') or point AudioFileReader.FfmpegPath or the MMADAPT_FFMPEG "
        + "environment variable at the executable; WAV files need no ffmpeg";

    /// <summary>Runs <paramref name="ffmpeg"/> on <paramref name="path"/> and returns the WAV bytes it writes.</summary>
    /// <exception cref="AudioFileException">ffmpeg cannot be started (the message says how to install it)
    /// or fails on the file (the message quotes its error output).</exception>
    public static byte[] DecodeToWav(string path, string ffmpeg)
    {
        var start = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in new[] { "-nostdin", "-v", "error", "-i", path, "-vn", "-map_metadata", "-1", "-f", "wav", "-c:a", "pcm_f32le", "-" })
            start.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("Process.Start returned no process");
        }
        catch (Exception e) when (e is Win32Exception or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new AudioFileException(path,
                $"decoding a '{Path.GetExtension(path)}' file needs ffmpeg, which could not be started as '{ffmpeg}' ({e.Message}); {InstallHint}.", e);
        }

        using (process)
        {
            // Drain standard error concurrently so that a chatty ffmpeg cannot block on a full pipe.
            var errors = process.StandardError.ReadToEndAsync();
            using var output = new MemoryStream();
            process.StandardOutput.BaseStream.CopyTo(output);
            process.WaitForExit();
            var message = errors.GetAwaiter().GetResult().Trim();
            if (process.ExitCode != 0)
                throw new AudioFileException(path,
                    $"ffmpeg ('{ffmpeg}') could not decode the file (exit code {process.ExitCode}): {(message.Length > 0 ? message : "no message")}.");
            if (output.Length == 0)
                throw new AudioFileException(path, $"ffmpeg ('{ffmpeg}') wrote no audio; expected an audio stream in the file.{(message.Length > 0 ? " ffmpeg said: " + message : "")}");
            return output.ToArray();
        }
    }
}
