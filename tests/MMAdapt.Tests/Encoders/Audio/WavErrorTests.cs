using MMAdapt.Encoders.Audio;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>Files the WAV reader must reject with one AudioFileException naming the file and what was expected.</summary>
public class WavErrorTests
{
    private static AudioFileException Fails(byte[] bytes, params string[] phrases)
    {
        var e = Assert.Throws<AudioFileException>(() => AudioFileReader.ReadWav(bytes, "bad.wav"));
        Assert.Equal("bad.wav", e.FilePath);
        Assert.StartsWith("bad.wav: ", e.Message);
        foreach (var phrase in phrases)
            Assert.Contains(phrase, e.Message);
        return e;
    }

    [Theory]
    [InlineData(6, "A-law")]
    [InlineData(7, "mu-law")]
    [InlineData(2, "Microsoft ADPCM")]
    [InlineData(0x55, "MPEG layer 3")]
    [InlineData(0x1234, "unknown")]
    public void Unsupported_codecs_name_the_format_code_and_list_the_supported_ones(int code, string name)
    {
        var bytes = new WavWriter { FormatTag = code, BitsPerSample = 8, Data = [1, 2, 3, 4] }.Build();
        Fails(bytes, $"unsupported WAV codec: format code {code} (0x{code:X4}, {name})", "supported: PCM (format 1)", "IEEE float (format 3)", "WAVE_FORMAT_EXTENSIBLE");
    }

    [Fact]
    public void Unsupported_extensible_sub_format()
    {
        var bytes = new WavWriter { ExtensibleSubFormat = 7, BitsPerSample = 8, Data = [1, 2] }.Build();
        Fails(bytes, "format code 7 (0x0007, mu-law) in a WAVE_FORMAT_EXTENSIBLE sub-format", "supported:");
    }

    [Theory]
    [InlineData(1, 40, "40-bit PCM samples are not supported")]
    [InlineData(3, 16, "16-bit IEEE float samples are not supported")]
    [InlineData(3, 24, "24-bit IEEE float samples are not supported")]
    public void Unsupported_bit_depths(int format, int bits, string phrase)
    {
        Fails(new WavWriter { FormatTag = format, BitsPerSample = bits, Data = new byte[10] }.Build(), phrase, "supported:");
    }

    [Fact]
    public void Empty_input() => Fails([], "file is empty (0 bytes); expected a RIFF/WAVE header");

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(11)]
    public void Truncated_riff_header(int length) =>
        Fails(Plain()[..length], $"file is {length} bytes, too short for the 12-byte RIFF/WAVE header (truncated?)");

    [Fact]
    public void File_ending_inside_a_chunk_header() =>
        Fails(Plain()[..15], "no 'fmt ' chunk in the 15-byte file (it ends inside a chunk header at byte 12: truncated?)");

    [Fact]
    public void File_ending_inside_the_fmt_chunk() =>
        Fails(Plain()[..30], "'fmt ' chunk declares 16 bytes but the file ends after 10 (truncated header)");

    [Fact]
    public void File_ending_before_the_data_chunk() =>
        Fails(Plain()[..36], "no 'data' chunk in the 36-byte file", "expected a 'data' chunk");

    [Fact]
    public void Not_riff()
    {
        Fails("ID3\u0004 this is an mp3"u8.ToArray(), "not a RIFF/WAVE file (starts with bytes 49443304); expected 'RIFF'");
    }

    [Fact]
    public void Riff_but_not_wave()
    {
        var bytes = Plain();
        "AVI "u8.CopyTo(bytes.AsSpan(8));
        Fails(bytes, "RIFF file of form type 'AVI ', expected 'WAVE'");
    }

    [Theory]
    [InlineData("RIFX", "big-endian RIFX")]
    [InlineData("RF64", "RF64 (64-bit WAV) files are not supported")]
    public void Other_riff_flavours(string magic, string phrase)
    {
        var bytes = Plain();
        System.Text.Encoding.ASCII.GetBytes(magic).CopyTo(bytes, 0);
        Fails(bytes, phrase);
    }

    [Fact]
    public void Fmt_chunk_too_short()
    {
        var bytes = Plain();
        bytes[16] = 14;  // fmt size 14: the walk then lands inside the fmt body
        Fails(bytes, "'fmt ' chunk is 14 bytes, expected at least 16");
    }

    [Fact]
    public void Zero_channels() => Fails(new WavWriter { Channels = 0, BlockAlign = 2, Data = [0, 0] }.Build(), "declares 0 channels, expected at least 1");

    [Fact]
    public void Zero_sample_rate() => Fails(new WavWriter { SampleRate = 0, Data = [0, 0] }.Build(), "declares sample rate 0, expected a positive rate");

    [Fact]
    public void Block_align_that_contradicts_the_format() =>
        Fails(new WavWriter { Channels = 2, BlockAlign = 3, Data = new byte[12] }.Build(), "declares block align 3, expected 4 (2 channels x 2 bytes)");

    [Fact]
    public void Valid_bits_beyond_the_container() =>
        Fails(new WavWriter { ExtensibleSubFormat = 1, BitsPerSample = 16, ValidBits = 20, Data = new byte[4] }.Build(), "valid bits per sample 20 exceed the 16-bit sample container");

    [Fact]
    public void Non_riff_file_named_wav_fails_through_Read()
    {
        using var temp = new TempFolder();
        var path = temp.File("actually.wav");
        File.WriteAllText(path, "this is not audio at all");
        var e = Assert.Throws<AudioFileException>(() => AudioFileReader.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": not a RIFF/WAVE file", e.Message);
    }

    [Fact]
    public void Empty_file_fails_through_Read()
    {
        using var temp = new TempFolder();
        var path = temp.File("empty.flac");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<AudioFileException>(() => AudioFileReader.Read(path));
        Assert.Equal($"{path}: file is empty (0 bytes); expected audio.", e.Message);
    }

    [Fact]
    public void Missing_file_fails_through_Read()
    {
        var e = Assert.Throws<FileNotFoundException>(() => AudioFileReader.Read("/nonexistent/clip.wav"));
        Assert.Contains("/nonexistent/clip.wav", e.Message);
    }

    private static byte[] Plain() => new WavWriter { Data = WavWriter.Pcm16(1, 2, 3) }.Build();
}
