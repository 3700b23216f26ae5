using System.Diagnostics;
using MMAdapt.Encoders.Audio;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>
/// Non-WAV files through ffmpeg. The round trips need ffmpeg on PATH and are skipped (with the reason)
/// where it is missing, as on CI machines without it; the missing-ffmpeg error is tested everywhere.
/// One class, so the tests that change <see cref="AudioFileReader.FfmpegPath"/> never run side by side.
/// </summary>
public class FfmpegTests
{
    // Even 16-bit values, so that the right channel (-1/2 gain) is exact too.
    private static readonly float[] Left = Enumerable.Range(0, 2205).Select(i => (float)Math.Round(0.6 * Math.Sin(2 * Math.PI * 440 * i / 22050) * 16383) * 2 / 32768f).ToArray();

    private static byte[] StereoWav()
    {
        var interleaved = new short[Left.Length * 2];
        for (int i = 0; i < Left.Length; i++)
        {
            interleaved[2 * i] = (short)(Left[i] * 32768);
            interleaved[2 * i + 1] = (short)(-Left[i] * 16384);
        }
        return new WavWriter { Channels = 2, SampleRate = 22050, Data = WavWriter.Pcm16(interleaved) }.Build();
    }

    [Fact]
    public void Missing_ffmpeg_names_the_file_and_how_to_install_it()
    {
        using var temp = new TempFolder();
        var path = temp.File("speech.flac");
        File.WriteAllBytes(path, "fLaC not really"u8.ToArray());
        var previous = AudioFileReader.FfmpegPath;
        AudioFileReader.FfmpegPath = "/nonexistent/bin/ffmpeg";
        try
        {
            var e = Assert.Throws<AudioFileException>(() => AudioFileReader.Read(path, 16000));
            Assert.Equal(path, e.FilePath);
            Assert.StartsWith($"{path}: decoding a '.flac' file needs ffmpeg, which could not be started as '/nonexistent/bin/ffmpeg'", e.Message);
            foreach (var hint in new[] { "apt-get install ffmpeg", "brew install ffmpeg", "winget install ffmpeg", "AudioFileReader.FfmpegPath", "MMADAPT_FFMPEG", "WAV files need no ffmpeg" })
                Assert.Contains(hint, e.Message);
        }
        finally
        {
            AudioFileReader.FfmpegPath = previous;
        }
    }

    [Fact]
    public void Wav_files_never_need_ffmpeg()
    {
        using var temp = new TempFolder();
        var path = temp.File("named-oddly.audio");
        File.WriteAllBytes(path, StereoWav());
        var previous = AudioFileReader.FfmpegPath;
        AudioFileReader.FfmpegPath = "/nonexistent/bin/ffmpeg";
        try
        {
            Assert.Equal(22050, AudioFileReader.Read(path).SampleRate);  // sniffed as RIFF/WAVE despite the name
        }
        finally
        {
            AudioFileReader.FfmpegPath = previous;
        }
    }

    [Fact]
    public void The_environment_variable_names_ffmpeg_when_the_property_is_unset()
    {
        var previous = Environment.GetEnvironmentVariable(AudioFileReader.FfmpegEnvironmentVariable);
        var previousPath = AudioFileReader.FfmpegPath;
        try
        {
            AudioFileReader.FfmpegPath = null;
            Environment.SetEnvironmentVariable(AudioFileReader.FfmpegEnvironmentVariable, "/opt/tools/ffmpeg");
            Assert.Equal("/opt/tools/ffmpeg", AudioFileReader.EffectiveFfmpegPath);
            Environment.SetEnvironmentVariable(AudioFileReader.FfmpegEnvironmentVariable, null);
            Assert.Equal("ffmpeg", AudioFileReader.EffectiveFfmpegPath);
            AudioFileReader.FfmpegPath = "/usr/local/bin/ffmpeg";
            Assert.Equal("/usr/local/bin/ffmpeg", AudioFileReader.EffectiveFfmpegPath);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AudioFileReader.FfmpegEnvironmentVariable, previous);
            AudioFileReader.FfmpegPath = previousPath;
        }
    }

    [FfmpegFact]
    public void Flac_round_trip_equals_the_wav_it_was_made_from()
    {
        using var temp = new TempFolder();
        var wav = temp.File("tone.wav");
        var flac = temp.File("tone.flac");
        File.WriteAllBytes(wav, StereoWav());
        RunFfmpeg("-v", "error", "-i", wav, "-c:a", "flac", flac);

        var fromWav = AudioFileReader.Read(wav);
        var fromFlac = AudioFileReader.Read(flac);
        Assert.Equal(22050, fromFlac.SampleRate);
        Assert.Equal(flac, fromFlac.Source);
        Assert.Equal(fromWav.Samples.Length, fromFlac.Samples.Length);
        double maxAbs = fromWav.Samples.Zip(fromFlac.Samples, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxAbs <= 1e-6, $"FLAC vs WAV max abs diff {maxAbs:E2}");  // lossless: identical in practice

        // Downmixed by mean (left + right at -1/2 gain = left / 4) and resampled by the same resampler as WAV.
        Assert.Equal(Left.Select(v => v / 4), fromFlac.Samples);
        var resampled = AudioFileReader.Read(flac, 16000);
        Assert.Equal(Resampler.Resample(fromWav.Samples, 22050, 16000), resampled.Samples);
    }

    [FfmpegFact]
    public void A_corrupt_file_reports_ffmpegs_error()
    {
        using var temp = new TempFolder();
        var path = temp.File("broken.mp3");
        File.WriteAllBytes(path, Enumerable.Range(0, 2000).Select(i => (byte)(i * 37)).ToArray());
        var e = Assert.Throws<AudioFileException>(() => AudioFileReader.Read(path));
        Assert.StartsWith(path + ": ffmpeg", e.Message);
    }

    private static void RunFfmpeg(params string[] arguments)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ffmpeg failed: {errors}");
    }
}

/// <summary>A fact that is skipped, saying why, when no ffmpeg can be run from PATH.</summary>
public sealed class FfmpegFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> Available = new(() =>
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("ffmpeg", "-version") { RedirectStandardOutput = true, UseShellExecute = false });
            if (process is null)
                return false;
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when ffmpeg is missing.</summary>
    public FfmpegFactAttribute()
    {
        if (!Available.Value)
            Skip = "ffmpeg is not installed (apt-get install ffmpeg / brew install ffmpeg / winget install ffmpeg); non-WAV decoding is not tested on this machine.";
    }
}
