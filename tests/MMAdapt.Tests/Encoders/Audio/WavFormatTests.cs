using MMAdapt.Encoders.Audio;
using Xunit;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>Every supported sample format, decoded exactly: hand-built WAVs against the documented scaling.</summary>
public class WavFormatTests
{
    private static AudioClip Decode(WavWriter wav) => AudioFileReader.ReadWav(wav.Build(), "test.wav");

    [Fact]
    public void Pcm8_is_unsigned_with_128_as_zero()
    {
        byte[] values = [0, 1, 127, 128, 129, 255];
        var clip = Decode(new WavWriter { BitsPerSample = 8, Data = WavWriter.Pcm8(values) });
        Assert.Equal(values.Select(v => (v - 128) / 128f), clip.Samples);
        Assert.Equal(-1f, clip.Samples[0]);
    }

    [Fact]
    public void Pcm16_divides_by_32768()
    {
        short[] values = [short.MinValue, -12345, -1, 0, 1, 12345, short.MaxValue];
        var clip = Decode(new WavWriter { BitsPerSample = 16, Data = WavWriter.Pcm16(values) });
        Assert.Equal(values.Select(v => v / 32768f), clip.Samples);
        Assert.Equal(16000, clip.SampleRate);
        Assert.Equal("test.wav", clip.Source);
    }

    [Fact]
    public void Pcm24_divides_by_8388608()
    {
        int[] values = [-8388608, -4000000, -1, 0, 1, 4000000, 8388607];
        var clip = Decode(new WavWriter { BitsPerSample = 24, Data = WavWriter.Pcm24(values) });
        Assert.Equal(values.Select(v => v / 8388608f), clip.Samples);
    }

    [Fact]
    public void Pcm32_divides_by_2147483648()
    {
        int[] values = [int.MinValue, -123456789, -1, 0, 1, 123456789, int.MaxValue];
        var clip = Decode(new WavWriter { BitsPerSample = 32, Data = WavWriter.Pcm32(values) });
        Assert.Equal(values.Select(v => (float)(v / 2147483648.0)), clip.Samples);
    }

    [Fact]
    public void Float32_is_taken_as_stored()
    {
        float[] values = [-1f, -0.3f, 0f, 1e-7f, 0.25f, 1f, 1.5f];
        var clip = Decode(new WavWriter { FormatTag = 3, BitsPerSample = 32, Data = WavWriter.Float32(values) });
        Assert.Equal(values, clip.Samples);
    }

    [Fact]
    public void Float64_is_rounded_to_float()
    {
        double[] values = [-1.0, -0.1, 0.0, 1.0 / 3.0, 0.999999999];
        var clip = Decode(new WavWriter { FormatTag = 3, BitsPerSample = 64, Data = WavWriter.Float64(values) });
        Assert.Equal(values.Select(v => (float)v), clip.Samples);
    }

    [Fact]
    public void Extensible_pcm24_with_20_valid_bits()
    {
        // 20 valid bits sit left-justified in the 24-bit container: the low 4 bits are zero.
        int[] values = [-8388608, -16, 0, 16, 8388592];
        var clip = Decode(new WavWriter { BitsPerSample = 24, ExtensibleSubFormat = 1, ValidBits = 20, Data = WavWriter.Pcm24(values) });
        Assert.Equal(values.Select(v => v / 8388608f), clip.Samples);
    }

    [Fact]
    public void Extensible_float32_stereo_downmixes_by_mean()
    {
        float[] interleaved = [0.5f, -0.5f, 1f, 0.25f, -1f, -0.75f];
        var clip = Decode(new WavWriter { Channels = 2, BitsPerSample = 32, ExtensibleSubFormat = 3, Data = WavWriter.Float32(interleaved) });
        Assert.Equal(new[] { 0f, 0.625f, -0.875f }, clip.Samples);
    }

    [Fact]
    public void Extensible_pcm16_mono()
    {
        var clip = Decode(new WavWriter { BitsPerSample = 16, ExtensibleSubFormat = 1, Data = WavWriter.Pcm16(1000, -1000) });
        Assert.Equal(new[] { 1000 / 32768f, -1000 / 32768f }, clip.Samples);
    }

    [Fact]
    public void Twelve_bit_pcm_is_read_from_its_16_bit_container()
    {
        // 12-bit PCM: samples left-justified in 16 bits (multiples of 16).
        var clip = Decode(new WavWriter { BitsPerSample = 12, Data = WavWriter.Pcm16(-32768, 16, 32752) });
        Assert.Equal(new[] { -1f, 16 / 32768f, 32752 / 32768f }, clip.Samples);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void Any_channel_count_is_averaged(int channels)
    {
        const int frames = 5;
        var values = new short[frames * channels];
        for (int i = 0; i < values.Length; i++)
            values[i] = (short)((i * 7919 % 60000) - 30000);
        var clip = Decode(new WavWriter { Channels = channels, Data = WavWriter.Pcm16(values) });
        var expected = Enumerable.Range(0, frames)
            .Select(f => (float)(Enumerable.Range(0, channels).Sum(c => values[f * channels + c] / 32768.0) / channels));
        Assert.Equal(expected, clip.Samples);
    }

    [Fact]
    public void Pcm24_six_channels_are_averaged()
    {
        int[] values = [8388607, -8388608, 100, -100, 4096, 0];
        var clip = Decode(new WavWriter { Channels = 6, BitsPerSample = 24, Data = WavWriter.Pcm24(values) });
        Assert.Equal((float)(values.Sum(v => v / 8388608.0) / 6), Assert.Single(clip.Samples));
    }
}
