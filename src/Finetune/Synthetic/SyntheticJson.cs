using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// The JSON the synthetic dataset writes: one ShareGPT row per line of <c>train.jsonl</c>/<c>test.jsonl</c>
/// (<c>id</c>, <c>messages</c>, <c>images</c>, <c>audios</c>, and <c>labels</c> describing the media), and
/// <c>meta.json</c>. Placeholders and other non-ASCII-safe text are written as they are (<c>&lt;image&gt;</c>, not
/// <c>\u003Cimage\u003E</c>).
/// </summary>
internal static class SyntheticJson
{
    private static readonly JsonWriterOptions Line = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    /// <summary>The row as one line of JSON (no newline).</summary>
    public static string RowLine(SyntheticRow row) => Write(Line, json =>
    {
        json.WriteStartObject();
        json.WriteString("id", row.Id);
        json.WriteStartArray("messages");
        foreach (var message in row.Messages)
        {
            json.WriteStartObject();
            json.WriteString("role", message.Role);
            json.WriteString("content", message.Content);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        WriteStrings(json, "images", row.ImagePath is null ? [] : [row.ImagePath]);
        WriteStrings(json, "audios", row.AudioPath is null ? [] : [row.AudioPath]);
        json.WriteStartObject("labels");
        json.WriteString("kind", row.Kind);
        WriteStrings(json, "question_types", row.Questions.Select(q => q.Type));
        if (row.Scene is { } scene)
        {
            json.WriteStartObject("image");
            json.WriteString("shape", scene.Shape);
            json.WriteString("colour", scene.Colour);
            json.WriteNumber("count", scene.Count);
            json.WriteString("position", scene.Position);
            json.WriteEndObject();
        }
        if (row.Tone is { } tone)
        {
            json.WriteStartObject("audio");
            json.WriteString("pitch", tone.Pitch);
            json.WriteString("pattern", tone.Pattern);
            json.WriteString("source", tone.Source);
            json.WriteNumber("hertz", Math.Round(tone.Hertz, 1));
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    });

    /// <summary>The row's sound as a labelled classification row (no newline): a user turn holding only the audio
    /// placeholder, the clip, and <c>label</c> = the pitch class's index in <see cref="SyntheticWords.Pitches"/>
    /// (<c>label_name</c> says which).</summary>
    public static string SoundLine(SyntheticRow row) => Write(Line, json =>
    {
        var pitch = row.Tone!.Pitch;
        json.WriteStartObject();
        json.WriteString("id", row.Id);
        json.WriteStartArray("messages");
        json.WriteStartObject();
        json.WriteString("role", "user");
        json.WriteString("content", "<audio>");
        json.WriteEndObject();
        json.WriteEndArray();
        WriteStrings(json, "audios", [row.AudioPath!]);
        json.WriteNumber("label", SyntheticWords.PitchNames.ToList().IndexOf(pitch));
        json.WriteString("label_name", pitch);
        json.WriteEndObject();
    });

    /// <summary>meta.json: the options, rows and questions per type and split, the answers and the words used.</summary>
    public static string Meta(SyntheticDatasetOptions options, IReadOnlyDictionary<string, IReadOnlyList<SyntheticRow>> splits, int tokenizerVocabSize) =>
        Write(Indented, json =>
        {
            json.WriteStartObject();
            json.WriteString("format", "sharegpt");
            json.WriteString("image_placeholder", "<image>");
            json.WriteString("audio_placeholder", "<audio>");
            json.WriteStartObject("options");
            json.WriteNumber("seed", options.Seed);
            json.WriteNumber("count", options.Count);
            json.WriteNumber("test_count", options.TestCount);
            json.WriteNumber("image_size", options.ImageSize);
            json.WriteNumber("sample_rate", options.SampleRate);
            json.WriteNumber("audio_seconds", options.AudioSeconds);
            json.WriteNumber("tokenizer_vocab_size", options.TokenizerVocabSize);
            json.WriteEndObject();
            json.WriteStartObject("splits");
            foreach (var (name, rows) in splits)
            {
                json.WriteStartObject(name);
                json.WriteString("file", $"{name}.jsonl");
                json.WriteNumber("rows", rows.Count);
                WriteCounts(json, "rows_per_kind", ["image", "audio", "image_audio", "text"], rows.Select(r => r.Kind));
                WriteCounts(json, "question_types", SyntheticQuestions.AllTypes, rows.SelectMany(r => r.Questions).Select(q => q.Type));
                json.WriteEndObject();
            }
            json.WriteEndObject();
            WriteCounts(json, "question_types", SyntheticQuestions.AllTypes, splits.Values.SelectMany(r => r).SelectMany(r => r.Questions).Select(q => q.Type));
            WriteStrings(json, "answers", SyntheticQuestions.AnswerVocabulary());
            json.WriteStartObject("vocabulary");
            WriteStrings(json, "colours", SyntheticWords.ColourNames);
            WriteStrings(json, "shapes", SyntheticWords.Shapes);
            WriteStrings(json, "counts", SyntheticWords.Numbers.Take(3));
            WriteStrings(json, "positions", SyntheticWords.Positions);
            WriteStrings(json, "pitches", SyntheticWords.PitchNames);
            WriteStrings(json, "patterns", SyntheticWords.Patterns);
            WriteStrings(json, "sources", SyntheticWords.Sources);
            json.WriteEndObject();
            json.WriteStartObject("tokenizer");
            json.WriteString("folder", "tokenizer");
            json.WriteNumber("vocab_size", tokenizerVocabSize);
            json.WriteString("chat_template", "chatml");
            json.WriteEndObject();
            json.WriteEndObject();
        }) + "\n";

    /// <summary>How often each of <paramref name="keys"/> occurs in <paramref name="values"/> (zeros included), in key order.</summary>
    public static Dictionary<string, int> Counts(IReadOnlyList<string> keys, IEnumerable<string> values)
    {
        var counts = keys.ToDictionary(k => k, _ => 0, StringComparer.Ordinal);
        foreach (var value in values)
            counts[value]++;
        return counts;
    }

    private static void WriteCounts(Utf8JsonWriter json, string name, IReadOnlyList<string> keys, IEnumerable<string> values)
    {
        var counts = Counts(keys, values);
        json.WriteStartObject(name);
        foreach (var key in keys)
            json.WriteNumber(key, counts[key]);
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }

    private static string Write(JsonWriterOptions options, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, options))
            body(json);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
