using System.Buffers.Binary;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>Writes 16-bit PCM mono RIFF/WAVE files (the 44-byte canonical header, then the samples).</summary>
internal static class WavWriter
{
    /// <summary>The bytes of a WAV file holding <paramref name="samples"/> at <paramref name="sampleRate"/>.</summary>
    public static byte[] Pcm16Mono(ReadOnlySpan<short> samples, int sampleRate)
    {
        const int header = 44, channels = 1, bytesPerSample = 2;
        int dataBytes = samples.Length * bytesPerSample;
        var bytes = new byte[header + dataBytes];
        var span = bytes.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], header - 8 + dataBytes);
        "WAVEfmt "u8.CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);                                  // fmt chunk size
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1);                                   // PCM
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], channels);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], sampleRate * channels * bytesPerSample); // byte rate
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], channels * bytesPerSample);            // block align
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 8 * bytesPerSample);                   // bits per sample
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], dataBytes);
        for (int n = 0; n < samples.Length; n++)
            BinaryPrimitives.WriteInt16LittleEndian(span[(header + 2 * n)..], samples[n]);
        return bytes;
    }
}
