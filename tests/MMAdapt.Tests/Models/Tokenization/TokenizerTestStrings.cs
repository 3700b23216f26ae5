using System.Text;

namespace MMAdapt.Tests.Models.Tokenization;

/// <summary>
/// Deterministic, varied test strings: code, accented and non-Latin text, CJK, emoji (ZWJ sequences, skin
/// tones, flags), numbers, whitespace runs, mixed case and punctuation, mixed by a seeded generator.
/// </summary>
internal static class TokenizerTestStrings
{
    private static readonly string[] Fragments =
    [
        // code
        "def f(x):\n    return x**2  # square", "for (int i = 0; i < n; i++) { sum += a[i]; }", "if (x != null && y >= 3) return;",
        "const url = `https://example.com/api?q=${query}&page=2`;", "SELECT * FROM users WHERE id = 42;", "<div class=\"row\">\n\t<p>Hi</p>\n</div>",
        "fn main() { println!(\"{}\", 1_000); }", "{\"key\": [1, 2.5, true, null]}", "x = [i**2 for i in range(10) if i % 2]",
        "#include <stdio.h>\nint main(void){return 0;}", "    indented_line()\n        deeper()", "a->b::c<T>(&d)",
        // accented and non-Latin text
        "café", "naïve façade", "Ångström", "jalapeño piñata", "Crème brûlée à la carte", "Straße und Fluß", "Ελληνικά γράμματα",
        "русский текст, Ёлка", "Türkçe İstanbul ılık", "Český jazyk: žluťoučký kůň", "עברית שלום", "العربية مرحبا", "हिन्दी भाषा",
        "ไทย ภาษา", "Tiếng Việt có dấu",
        // CJK
        "日本語のテキストです。", "中文字符测试，你好世界！", "한국어 문장입니다", "東京都渋谷区", "漢字とひらがなとカタカナ",
        // emoji
        "👍", "🎉🎉🎉", "👩‍👩‍👧‍👦", "🏳️‍🌈", "👨🏽‍💻 coding", "❤️‍🔥", "🇫🇷🇩🇪", "I ❤️ NY", "😀😃😄😁", "✅ done",
        // numbers
        "12345", "3.14159", "1,000,000", "0x1F", "2024-05-13", "-42", "1e-9", "007", "99.9%", "$19.99", "123456789012",
        // whitespace
        "   ", "\n\n\n", "\t\t", " \n ", "\r\n", "trailing   ", "   leading", "a  b   c    d",
        // case and identifiers
        "HeLLo WoRLD", "CamelCaseIdentifier", "snake_case_name", "SCREAMING_CASE", "mIxEd CaSe", "iPhone", "McDonald's",
        // punctuation and contractions
        "...", "?!", "—", "«quoted»", "(parens)", "[brackets]", "{braces}", "'single'", "\"double\"", "I'm", "we'll",
        "they've", "DON'T", "it's", "You'RE", "--flag=value", "a/b\\c", "@user #tag", "~`^", "¿Qué?", "¡Hola!",
        // prose
        "The quick brown fox jumps over the lazy dog.", "Hello, world!", "  Once upon a time, there was a tokenizer.",
    ];

    private static readonly string[] Separators = ["", " ", "  ", "\n", "\n\n", "\t", ", ", ". ", " - "];

    private static readonly string RandomPool =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t.,;:!?'\"()[]{}<>-_=+*/\\|@#$%^&~`" +
        "éèêëàâäôöûüçñßøåæœÉÀÇÑ" + "αβγδЖжЯя" + "日本語中文한국" + "€£¥©®°±µ¶·";

    private static readonly string[] RandomEmoji = ["😀", "🎉", "👍🏽", "👩‍💻", "🏳️‍🌈", "❤️"];

    /// <summary><paramref name="count"/> strings, the same ones on every call.</summary>
    public static IReadOnlyList<string> Generate(int count, int seed = 20240513)
    {
        var random = new Random(seed);
        var result = new List<string>(count);
        result.AddRange(Fragments);
        while (result.Count < count)
        {
            result.Add(random.Next(3) == 0 ? RandomChars(random) : Mix(random));
        }

        return result;
    }

    private static string Mix(Random random)
    {
        var text = new StringBuilder();
        var parts = random.Next(1, 7);
        for (var i = 0; i < parts; i++)
        {
            if (i > 0)
            {
                text.Append(Separators[random.Next(Separators.Length)]);
            }

            text.Append(Fragments[random.Next(Fragments.Length)]);
        }

        return text.ToString();
    }

    private static string RandomChars(Random random)
    {
        var text = new StringBuilder();
        var length = random.Next(1, 40);
        for (var i = 0; i < length; i++)
        {
            text.Append(random.Next(12) == 0 ? RandomEmoji[random.Next(RandomEmoji.Length)] : RandomPool[random.Next(RandomPool.Length)].ToString());
        }

        return text.ToString();
    }
}
