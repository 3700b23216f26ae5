using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// Writes a Hugging Face <c>tokenizer.json</c> for a byte-level BPE model in the layout Llama 3 and Qwen2 use:
/// the added tokens (all special), no normaliser, a <c>Split</c> regex (Isolated) followed by <c>ByteLevel</c>
/// without regex, ByteLevel post-processor and decoder, and the BPE model with its vocabulary and merges.
/// Non-ASCII characters are written as they are (<c>Ġ</c>, not <c>\u0120</c>), as HF does.
/// </summary>
internal static class TokenizerJsonWriter
{
    /// <summary>Writes the file's text.</summary>
    /// <param name="specialTokens">Added special tokens and their ids.</param>
    /// <param name="splitPattern">The pre-tokenizer's Split regex.</param>
    /// <param name="vocab">Tokens (byte-level form) and ids, written in this order.</param>
    /// <param name="merges">Merges by priority.</param>
    /// <param name="ignoreMerges">HF <c>ignore_merges</c>: a pre-token that is itself a token is taken whole.</param>
    /// <param name="mergesAsPairs">Write merges as <c>["a", "b"]</c> (newer files) rather than <c>"a b"</c>.</param>
    /// <param name="indented">Indent the JSON (small files) or not (large ones).</param>
    public static string Write(
        IEnumerable<(string Content, int Id)> specialTokens,
        string splitPattern,
        IEnumerable<(string Token, int Id)> vocab,
        IEnumerable<(string Left, string Right)> merges,
        bool ignoreMerges,
        bool mergesAsPairs = true,
        bool indented = true)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteNull("truncation");
            json.WriteNull("padding");
            json.WriteStartArray("added_tokens");
            foreach (var (content, id) in specialTokens)
            {
                json.WriteStartObject();
                json.WriteNumber("id", id);
                json.WriteString("content", content);
                json.WriteBoolean("single_word", false);
                json.WriteBoolean("lstrip", false);
                json.WriteBoolean("rstrip", false);
                json.WriteBoolean("normalized", false);
                json.WriteBoolean("special", true);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNull("normalizer");
            json.WriteStartObject("pre_tokenizer");
            json.WriteString("type", "Sequence");
            json.WriteStartArray("pretokenizers");
            json.WriteStartObject();
            json.WriteString("type", "Split");
            json.WriteStartObject("pattern");
            json.WriteString("Regex", splitPattern);
            json.WriteEndObject();
            json.WriteString("behavior", "Isolated");
            json.WriteBoolean("invert", false);
            json.WriteEndObject();
            WriteByteLevel(json, null, addPrefixSpace: false, useRegex: false);
            json.WriteEndArray();
            json.WriteEndObject();
            WriteByteLevel(json, "post_processor", addPrefixSpace: true, useRegex: true);
            WriteByteLevel(json, "decoder", addPrefixSpace: true, useRegex: true);
            json.WriteStartObject("model");
            json.WriteString("type", "BPE");
            json.WriteNull("dropout");
            json.WriteNull("unk_token");
            json.WriteNull("continuing_subword_prefix");
            json.WriteNull("end_of_word_suffix");
            json.WriteBoolean("fuse_unk", false);
            json.WriteBoolean("byte_fallback", false);
            json.WriteBoolean("ignore_merges", ignoreMerges);
            json.WriteStartObject("vocab");
            foreach (var (token, id) in vocab)
            {
                json.WriteNumber(token, id);
            }

            json.WriteEndObject();
            json.WriteStartArray("merges");
            foreach (var (left, right) in merges)
            {
                if (mergesAsPairs)
                {
                    json.WriteStartArray();
                    json.WriteStringValue(left);
                    json.WriteStringValue(right);
                    json.WriteEndArray();
                }
                else
                {
                    json.WriteStringValue($"{left} {right}");
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Writes a small JSON object (e.g. tokenizer_config.json) the same way.</summary>
    public static string WriteObject(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteByteLevel(Utf8JsonWriter json, string? name, bool addPrefixSpace, bool useRegex)
    {
        if (name is null)
        {
            json.WriteStartObject();
        }
        else
        {
            json.WriteStartObject(name);
        }

        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", addPrefixSpace);
        json.WriteBoolean("trim_offsets", true);
        json.WriteBoolean("use_regex", useRegex);
        json.WriteEndObject();
    }
}
