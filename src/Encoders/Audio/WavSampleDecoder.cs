using System.Buffers.Binary;

namespace MMAdapt.Encoders.Audio;

/// <summary>
/// Turns the interleaved sample bytes of a WAV data chunk into mono floats.
/// </summary>
/// <remarks>
/// Scaling (the conventions of libsndfile, soundfile and torchaudio, so full-scale negative is exactly -1):
/// 8-bit unsigned PCM <c>(x - 128) / 128</c>; 16-bit <c>x / 32768</c>; 24-bit <c>x / 8388608</c>; 32-bit
/// <c>x / 2147483648</c> (computed in double, then rounded to float); float samples as stored (64-bit
/// rounded to float). Samples narrower than their container (e.g. 20 valid bits in 24) are left-justified,
/// so dividing by the container's full scale is right for them too. Channels are averaged:
/// <c>mono[i] = (sum over c of x[i, c]) / channels</c>, summed in double.
/// </remarks>
internal static class WavSampleDecoder
{
    /// <summary>Decodes <paramref name="data"/> (whole sample frames of <paramref name="format"/>) to mono.</summary>
    public static float[] DecodeMono(ReadOnlySpan<byte> data, WavFormat format)
    {
        int channels = format.Channels;
        int bytesPerSample = format.ContainerBits / 8;
        int frames = data.Length / format.BlockAlign;
        var mono = new float[frames];
        var read = Reader(format);
        for (int frame = 0, offset = 0; frame < frames; frame++)
        {
            double sum = 0;
            for (int c = 0; c < channels; c++, offset += bytesPerSample)
                sum += read(data.Slice(offset, bytesPerSample));
            mono[frame] = channels == 1 ? (float)sum : (float)(sum / channels);
        }
        return mono;
    }

    private delegate double SampleReader(ReadOnlySpan<byte> sample);

    private static SampleReader Reader(WavFormat format) => (format.Encoding, format.ContainerBits) switch
    {
        (WavSampleEncoding.Pcm, 8) => s => (s[0] - 128) / 128.0,
        (WavSampleEncoding.Pcm, 16) => s => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768.0,
        (WavSampleEncoding.Pcm, 24) => s => (s[0] | (s[1] << 8) | ((sbyte)s[2] << 16)) / 8388608.0,
        (WavSampleEncoding.Pcm, 32) => s => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0,
        (WavSampleEncoding.Float, 32) => s => BinaryPrimitives.ReadSingleLittleEndian(s),
        (WavSampleEncoding.Float, 64) => s => BinaryPrimitives.ReadDoubleLittleEndian(s),
        _ => throw new InvalidOperationException($"no reader for {format.ContainerBits}-bit {format.Encoding} (WavFormat.Parse admits only supported formats)."),
    };
}
