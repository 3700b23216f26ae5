using System.Text;
using MMAdapt.Core.Diagnostics;
using MMAdapt.Encoders.Audio;
using Xunit;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>RIFF chunk walking: order, unknown chunks, pad bytes, and headers whose sizes lie.</summary>
[Collection(nameof(MMAdapt.Tests.Models.LogSinkCollection))]  // captures Log warnings
public class WavChunkTests
{
    private static readonly short[] Values = [100, -200, 300, -400, 500, -600, 700];
    private static readonly float[] Expected = Values.Select(v => v / 32768f).ToArray();
    private static readonly WavWriter Plain = new() { Data = WavWriter.Pcm16(Values) };

    private static (AudioClip Clip, List<string> Warnings) DecodeCapturing(byte[] bytes)
    {
        var warnings = new List<string>();
        var previous = Log.WarningSink;
        Log.WarningSink = warnings.Add;
        try
        {
            return (AudioFileReader.ReadWav(bytes, "lying.wav"), warnings);
        }
        finally
        {
            Log.WarningSink = previous;
        }
    }

    [Fact]
    public void Unknown_chunks_anywhere_are_skipped()
    {
        var wav = Plain with
        {
            ChunksBeforeFmt = [("LIST", Encoding.ASCII.GetBytes("INFOISFT\u0005\0\0\0test\0\0")), ("JUNK", new byte[28])],
            ChunksBetween = [("fact", [7, 0, 0, 0])],
            ChunksAfterData = [("cue ", new byte[4]), ("LIST", new byte[9])],
        };
        Assert.Equal(Expected, AudioFileReader.ReadWav(wav.Build(), "x.wav").Samples);
    }

    [Fact]
    public void Data_before_fmt_is_read()
    {
        var wav = Plain with { DataBeforeFmt = true, ChunksBetween = [("fact", [7, 0, 0, 0])] };
        Assert.Equal(Expected, AudioFileReader.ReadWav(wav.Build(), "x.wav").Samples);
    }

    [Fact]
    public void Odd_sized_chunks_are_followed_by_a_pad_byte()
    {
        // An odd unknown chunk before fmt, and an odd 8-bit data chunk followed by another chunk.
        var wav = new WavWriter
        {
            BitsPerSample = 8,
            Data = WavWriter.Pcm8(0, 128, 255),
            ChunksBeforeFmt = [("odd1", [1, 2, 3])],
            ChunksAfterData = [("odd2", [9, 9, 9, 9, 9])],
        };
        var bytes = wav.Build();
        Assert.Equal(12 + (8 + 4) + (8 + 16) + (8 + 4) + (8 + 6), bytes.Length);
        Assert.Equal(new[] { -1f, 0f, 127 / 128f }, AudioFileReader.ReadWav(bytes, "x.wav").Samples);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(4u)]
    [InlineData(1000000u)]
    [InlineData(0xFFFFFFFFu)]
    public void The_riff_size_is_ignored(uint riffSize)
    {
        var (clip, warnings) = DecodeCapturing((Plain with { RiffSize = riffSize, ChunksAfterData = [("LIST", new byte[6])] }).Build());
        Assert.Equal(Expected, clip.Samples);
        Assert.Empty(warnings);
    }

    [Fact]
    public void A_data_chunk_longer_than_the_file_is_truncated_to_whole_frames_with_a_warning()
    {
        // Stereo 16-bit: 4-byte frames. Cut the file inside the fourth frame.
        short[] stereo = [1000, 3000, -1000, -3000, 50, 150, 7, 9];
        var bytes = new WavWriter { Channels = 2, Data = WavWriter.Pcm16(stereo), DataSize = 1_000_000 }.Build()[..^2];
        var (clip, warnings) = DecodeCapturing(bytes);
        Assert.Equal(new[] { 2000 / 32768f, -2000 / 32768f, 100 / 32768f }, clip.Samples);
        var warning = Assert.Single(warnings);
        Assert.Contains("lying.wav", warning);
        Assert.Contains("declares 1000000 bytes but only 14 remain", warning);
    }

    [Fact]
    public void A_streaming_data_size_reads_to_the_end_without_a_warning()
    {
        var (clip, warnings) = DecodeCapturing((Plain with { DataSize = 0xFFFFFFFF, RiffSize = 0xFFFFFFFF }).Build());
        Assert.Equal(Expected, clip.Samples);
        Assert.Empty(warnings);
    }

    [Fact]
    public void A_partial_last_frame_is_dropped()
    {
        var bytes = (Plain with { Data = [.. WavWriter.Pcm16(Values), 0x55] }).Build();
        Assert.Equal(Expected, AudioFileReader.ReadWav(bytes, "x.wav").Samples);
    }

    [Fact]
    public void Zero_length_audio_is_an_empty_clip()
    {
        var clip = AudioFileReader.ReadWav(new WavWriter { Channels = 2, SampleRate = 22050 }.Build(), "empty.wav");
        Assert.Empty(clip.Samples);
        Assert.Equal(22050, clip.SampleRate);
        Assert.Equal(0.0, clip.DurationSeconds);
    }

    [Fact]
    public void A_chunk_size_near_uint_max_before_the_data_does_not_crash()
    {
        var bytes = (Plain with { ChunksBeforeFmt = [("LIST", new byte[4])] }).Build();
        bytes[16] = 0xFF; bytes[17] = 0xFF; bytes[18] = 0xFF; bytes[19] = 0xFF;  // LIST size 0xFFFFFFFF
        var e = Assert.Throws<AudioFileException>(() => AudioFileReader.ReadWav(bytes, "huge.wav"));
        Assert.StartsWith("huge.wav: no 'fmt ' chunk", e.Message);
        Assert.Contains("chunk 'LIST' at byte 12 runs past its end", e.Message);
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_fails_cleanly_or_decodes_a_prefix()
    {
        var full = (Plain with { ChunksBeforeFmt = [("LIST", new byte[5])] }).Build();
        for (int length = 0; length < full.Length; length++)
        {
            var (clip, _) = TryDecode(full[..length]);
            if (clip is not null)
                Assert.Equal(Expected.Take(clip.Samples.Length), clip.Samples);
        }
    }

    private static (AudioClip? Clip, AudioFileException? Error) TryDecode(byte[] bytes)
    {
        var previous = Log.WarningSink;
        Log.WarningSink = _ => { };
        try
        {
            return (AudioFileReader.ReadWav(bytes, "cut.wav"), null);
        }
        catch (AudioFileException e)
        {
            Assert.StartsWith("cut.wav: ", e.Message);
            return (null, e);
        }
        finally
        {
            Log.WarningSink = previous;
        }
    }
}
