using System.Buffers.Binary;
using System.Text;

namespace MMAdapt.Tests.Encoders.Audio;

/// <summary>
/// Builds WAV files byte by byte for the reader tests, including broken ones: any format code, extensible
/// headers, extra chunks in any order, and sizes that lie.
/// </summary>
internal sealed record WavWriter
{
    public int FormatTag { get; init; } = 1;
    public int Channels { get; init; } = 1;
    public int SampleRate { get; init; } = 16000;
    public int BitsPerSample { get; init; } = 16;
    /// <summary>Block align written in the header; channels * bytes per sample when null.</summary>
    public int? BlockAlign { get; init; }
    /// <summary>Interleaved sample bytes (the data chunk body).</summary>
    public byte[] Data { get; init; } = [];
    /// <summary>Write WAVE_FORMAT_EXTENSIBLE with this sub-format code (1 PCM, 3 float, ...).</summary>
    public int? ExtensibleSubFormat { get; init; }
    public int? ValidBits { get; init; }
    public IReadOnlyList<(string Id, byte[] Body)> ChunksBeforeFmt { get; init; } = [];
    public IReadOnlyList<(string Id, byte[] Body)> ChunksBetween { get; init; } = [];
    public IReadOnlyList<(string Id, byte[] Body)> ChunksAfterData { get; init; } = [];
    public bool DataBeforeFmt { get; init; }
    public uint? RiffSize { get; init; }
    public uint? DataSize { get; init; }

    public byte[] Build()
    {
        var fmt = FmtBody();
        var chunks = new List<(string, byte[], uint?)>();
        chunks.AddRange(ChunksBeforeFmt.Select(c => (c.Id, c.Body, (uint?)null)));
        var fmtChunk = ("fmt ", fmt, (uint?)null);
        var dataChunk = ("data", Data, DataSize);
        if (DataBeforeFmt)
        {
            chunks.Add(dataChunk);
            chunks.AddRange(ChunksBetween.Select(c => (c.Id, c.Body, (uint?)null)));
            chunks.Add(fmtChunk);
        }
        else
        {
            chunks.Add(fmtChunk);
            chunks.AddRange(ChunksBetween.Select(c => (c.Id, c.Body, (uint?)null)));
            chunks.Add(dataChunk);
        }
        chunks.AddRange(ChunksAfterData.Select(c => (c.Id, c.Body, (uint?)null)));

        using var body = new MemoryStream();
        body.Write("WAVE"u8);
        foreach (var (id, bytes, declared) in chunks)
        {
            body.Write(Encoding.ASCII.GetBytes(id));
            body.Write(UInt32(declared ?? (uint)bytes.Length));
            body.Write(bytes);
            if (bytes.Length % 2 == 1)
                body.WriteByte(0);  // RIFF pad byte
        }
        using var file = new MemoryStream();
        file.Write("RIFF"u8);
        file.Write(UInt32(RiffSize ?? (uint)body.Length));
        body.Position = 0;
        body.CopyTo(file);
        return file.ToArray();
    }

    private byte[] FmtBody()
    {
        int containerBytes = (BitsPerSample + 7) / 8;
        var fmt = new List<byte>();
        fmt.AddRange(UInt16(ExtensibleSubFormat is null ? FormatTag : 0xFFFE));
        fmt.AddRange(UInt16(Channels));
        fmt.AddRange(UInt32((uint)SampleRate));
        fmt.AddRange(UInt32((uint)(SampleRate * Channels * containerBytes)));
        fmt.AddRange(UInt16(BlockAlign ?? Channels * containerBytes));
        fmt.AddRange(UInt16(BitsPerSample));
        if (ExtensibleSubFormat is int code)
        {
            fmt.AddRange(UInt16(22));
            fmt.AddRange(UInt16(ValidBits ?? BitsPerSample));
            fmt.AddRange(UInt32(Channels == 2 ? 3u : 4u));  // channel mask: FL|FR, or FC
            fmt.AddRange(UInt16(code));
            fmt.AddRange(new byte[] { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 });
        }
        return [.. fmt];
    }

    private static byte[] UInt16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)value);
        return bytes;
    }

    private static byte[] UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    // Sample encoders: interleaved values to data chunk bytes.

    public static byte[] Pcm8(params byte[] values) => values;

    public static byte[] Pcm16(params short[] values) => Encode(values, 2, (span, v) => BinaryPrimitives.WriteInt16LittleEndian(span, v));

    public static byte[] Pcm24(params int[] values) => Encode(values, 3, (span, v) =>
    {
        span[0] = (byte)v;
        span[1] = (byte)(v >> 8);
        span[2] = (byte)(v >> 16);
    });

    public static byte[] Pcm32(params int[] values) => Encode(values, 4, (span, v) => BinaryPrimitives.WriteInt32LittleEndian(span, v));

    public static byte[] Float32(params float[] values) => Encode(values, 4, (span, v) => BinaryPrimitives.WriteSingleLittleEndian(span, v));

    public static byte[] Float64(params double[] values) => Encode(values, 8, (span, v) => BinaryPrimitives.WriteDoubleLittleEndian(span, v));

    private delegate void Writer<T>(Span<byte> span, T value);

    private static byte[] Encode<T>(T[] values, int size, Writer<T> write)
    {
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
            write(bytes.AsSpan(i * size, size), values[i]);
        return bytes;
    }
}
