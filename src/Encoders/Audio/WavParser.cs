using System.Buffers.Binary;
using MMAdapt.Core.Diagnostics;

namespace MMAdapt.Encoders.Audio;

/// <summary>
/// Walks the chunks of a RIFF/WAVE file and finds its format and its sample bytes.
/// </summary>
/// <remarks>
/// <para>Chunks may come in any order; unknown ones (<c>LIST</c>, <c>fact</c>, <c>cue </c>, <c>bext</c>,
/// ...) are skipped, and an odd-sized chunk is followed by one pad byte, as RIFF requires.</para>
/// <para>Headers that lie about sizes never crash the reader:</para>
/// <list type="bullet">
/// <item>The RIFF size is ignored; the walk goes by the bytes actually present (streaming writers put
/// 0 or 0xFFFFFFFF there).</item>
/// <item>A <c>data</c> chunk that declares more bytes than the file holds is truncated to the bytes
/// present, rounded down to whole sample frames, with a warning (<see cref="Log.Warning"/>) unless the
/// size is 0xFFFFFFFF, the "until end of stream" size that piping writers such as ffmpeg use.</item>
/// <item>Any other chunk that runs past the end ends the walk; a <c>fmt </c> chunk cut short is an error.</item>
/// <item>A data length that is not a whole number of sample frames drops the partial last frame.</item>
/// </list>
/// </remarks>
internal static class WavParser
{
    /// <summary>The size streaming writers use for "unknown, until end of stream".</summary>
    private const uint StreamingSize = 0xFFFFFFFF;

    /// <summary>The format, and where the whole sample frames lie in the file.</summary>
    public readonly record struct Layout(WavFormat Format, int DataOffset, int DataLength);

    /// <summary>True when the bytes start with a RIFF/WAVE header.</summary>
    public static bool LooksLikeWav(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes.Slice(8, 4).SequenceEqual("WAVE"u8);

    /// <summary>Finds the <c>fmt </c> and <c>data</c> chunks.</summary>
    /// <exception cref="AudioFileException">Not a RIFF/WAVE file, a chunk missing or cut short, or an
    /// unsupported format; the message names <paramref name="source"/> and what was expected.</exception>
    public static Layout Parse(ReadOnlySpan<byte> bytes, string source)
    {
        CheckHeader(bytes, source);
        WavFormat? format = null;
        int dataOffset = -1;
        long dataDeclared = 0;
        long position = 12, lastStart = -1;
        while (position + 8 <= bytes.Length)
        {
            lastStart = position;
            var id = bytes.Slice((int)position, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(bytes[((int)position + 4)..]);
            long body = position + 8;
            long available = bytes.Length - body;
            if (id.SequenceEqual("fmt "u8) && format is null)
            {
                if (size > available)
                    throw new AudioFileException(source, $"'fmt ' chunk declares {size} bytes but the file ends after {available} (truncated header).");
                format = WavFormat.Parse(bytes.Slice((int)body, (int)size), source);
            }
            else if (id.SequenceEqual("data"u8) && dataOffset < 0)
            {
                dataOffset = (int)body;
                dataDeclared = size;
            }
            position = body + size + (size & 1);
        }

        if (format is null)
            throw new AudioFileException(source, $"no 'fmt ' chunk in {Describe(bytes, position, lastStart)}; expected a 'fmt ' chunk before the file ends.");
        if (dataOffset < 0)
            throw new AudioFileException(source, $"no 'data' chunk in {Describe(bytes, position, lastStart)}; expected a 'data' chunk holding the samples.");

        long present = bytes.Length - dataOffset;
        long length = dataDeclared;
        if (dataDeclared > present)
        {
            if (dataDeclared != StreamingSize)
                Log.Warning($"{source}: 'data' chunk declares {dataDeclared} bytes but only {present} remain in the file; decoding the {present / format.BlockAlign} whole sample frames present.");
            length = present;
        }
        length -= length % format.BlockAlign;
        return new Layout(format, dataOffset, (int)length);
    }

    private static void CheckHeader(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length == 0)
            throw new AudioFileException(source, "file is empty (0 bytes); expected a RIFF/WAVE header.");
        var magic = bytes[..Math.Min(4, bytes.Length)];
        if (magic.SequenceEqual("RIFX"u8))
            throw new AudioFileException(source, "big-endian RIFX WAV files are not supported; expected a little-endian 'RIFF' file.");
        if (magic.SequenceEqual("RF64"u8) || magic.SequenceEqual("BW64"u8))
            throw new AudioFileException(source, $"{Printable(magic)} (64-bit WAV) files are not supported; expected a 'RIFF' file.");
        if (!"RIFF"u8.StartsWith(magic))
            throw new AudioFileException(source, $"not a RIFF/WAVE file (starts with bytes {Convert.ToHexString(magic)}); expected 'RIFF'.");
        if (bytes.Length < 12)
            throw new AudioFileException(source, $"file is {bytes.Length} bytes, too short for the 12-byte RIFF/WAVE header (truncated?).");
        if (!bytes.Slice(8, 4).SequenceEqual("WAVE"u8))
            throw new AudioFileException(source, $"RIFF file of form type '{Printable(bytes.Slice(8, 4))}', expected 'WAVE'.");
    }

    // Where the walk stopped: cleanly at the end, inside a chunk header, or past the end of the last chunk.
    private static string Describe(ReadOnlySpan<byte> bytes, long stoppedAt, long lastStart)
    {
        if (stoppedAt == bytes.Length)
            return $"the {bytes.Length}-byte file";
        if (stoppedAt < bytes.Length)
            return $"the {bytes.Length}-byte file (it ends inside a chunk header at byte {stoppedAt}: truncated?)";
        return $"the {bytes.Length}-byte file (chunk '{Printable(bytes.Slice((int)lastStart, 4))}' at byte {lastStart} runs past its end: truncated?)";
    }

    private static string Printable(ReadOnlySpan<byte> id)
    {
        var chars = new char[id.Length];
        for (int i = 0; i < id.Length; i++)
            chars[i] = id[i] is >= 0x20 and < 0x7F ? (char)id[i] : '?';
        return new string(chars);
    }
}
