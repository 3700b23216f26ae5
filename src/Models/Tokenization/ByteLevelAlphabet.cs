using System.Text;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character table used by byte-level BPE vocabularies (GPT-2, Llama 3, Qwen2):
/// the printable bytes <c>!..~</c>, <c>¡..¬</c> and <c>®..ÿ</c> stand for themselves, and the remaining 68
/// bytes map, in byte order, to U+0100, U+0101, ... (so a space is <c>Ġ</c> and a newline <c>Ċ</c>).
/// Vocabulary strings are UTF-8 bytes written through this table.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    /// <summary>The character standing for byte <paramref name="b"/>.</summary>
    public static char Map(byte b) => ByteToChar[b];

    /// <summary>The 256 characters of the alphabet in byte order.</summary>
    public static IReadOnlyList<char> Characters => ByteToChar;

    /// <summary>Writes the UTF-8 bytes of <paramref name="text"/> through the table.</summary>
    public static string FromText(string text) => FromBytes(Encoding.UTF8.GetBytes(text));

    /// <summary>Writes <paramref name="bytes"/> through the table.</summary>
    public static string FromBytes(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = ByteToChar[bytes[i]];
        }

        return new string(chars);
    }

    /// <summary>
    /// Appends the bytes a vocabulary string stands for. As in Hugging Face's ByteLevel decoder, a string with a
    /// character outside the alphabet (an added token's text, say) contributes its own UTF-8 bytes instead.
    /// </summary>
    public static void AppendBytes(string token, List<byte> destination)
    {
        foreach (var c in token)
        {
            if (!CharToByte.ContainsKey(c))
            {
                destination.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }
        }

        foreach (var c in token)
        {
            destination.Add(CharToByte[c]);
        }
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)next++;
        }

        return table;
    }
}
