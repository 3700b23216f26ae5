using System.Text;

namespace MMAdapt.Encoders.Images;

/// <summary>
/// Names what a file's first bytes look like, so that a file the decoder refuses gets a useful message
/// (a TIFF, a text file named <c>.png</c>, a PNG cut short...).
/// </summary>
internal static class ImageSignature
{
    /// <summary>What the bytes look like: an image format's name, "text", or null when nothing is recognised.</summary>
    public static string? Describe(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return "PNG";
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return "JPEG";
        if (bytes.StartsWith("GIF8"u8)) return "GIF";
        if (bytes.StartsWith("BM"u8)) return "BMP";
        if (bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8)) return "WebP";
        if (bytes.StartsWith("II*\0"u8) || bytes.StartsWith("MM\0*"u8)) return "TIFF";
        if (bytes.Length >= 12 && bytes[4..8].SequenceEqual("ftyp"u8))
            return bytes[8..12].SequenceEqual("avif"u8) ? "AVIF" : "HEIF/MP4";
        if (bytes.StartsWith("%PDF"u8)) return "PDF";
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x01, 0x00])) return "ICO";
        if (LooksLikeText(bytes)) return "text";
        return null;
    }

    /// <summary>The first bytes in hex, for messages about unrecognised files.</summary>
    public static string Hex(ReadOnlySpan<byte> bytes, int count = 8) =>
        Convert.ToHexString(bytes[..Math.Min(count, bytes.Length)]).ToLowerInvariant();

    private static bool LooksLikeText(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(256, bytes.Length)];
        if (head.IsEmpty || head.Contains((byte)0))
            return false;
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(head.Length == bytes.Length ? head : TrimPartial(head));
            return text.All(ch => !char.IsControl(ch) || ch is '\n' or '\r' or '\t');
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    // A 256-byte window can cut a multi-byte UTF-8 character; drop a trailing partial one.
    private static ReadOnlySpan<byte> TrimPartial(ReadOnlySpan<byte> head)
    {
        int end = head.Length;
        for (int back = 1; back <= 3 && end - back >= 0; back++)
        {
            byte b = head[end - back];
            if ((b & 0xC0) == 0xC0)
                return head[..(end - back)];
            if ((b & 0x80) == 0)
                break;
        }
        return head;
    }
}
