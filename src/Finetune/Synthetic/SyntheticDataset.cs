using System.Text;
using MMAdapt.Core.IO;
using MMAdapt.Finetune.Data;

namespace MMAdapt.Finetune.Synthetic;

/// <summary>
/// Writes a small, seeded multimodal instruction dataset about coloured shapes and simple sounds, for
/// testing and demonstrating multimodal fine-tuning end to end without downloads:
/// <code>
/// OUT/images/{split}_{i}.png   coloured shapes (1-3 of one kind and colour, at left/right/top/bottom/center)
/// OUT/audio/{split}_{i}.wav    16-bit PCM mono: low/mid/high, steady/beeping/rising/falling, tone or noise
/// OUT/train.jsonl, test.jsonl  ShareGPT rows (ConversationDataset loads them), with "labels" per row
/// OUT/sounds_{split}.jsonl     sound classification: every row with a sound again, as "&lt;audio&gt;" alone and an
///                              integer "label", its pitch class (0 low, 1 mid, 2 high), for classify stages
/// OUT/meta.json                options, rows and questions per type, the answer vocabulary
/// OUT/tokenizer/               byte-level BPE trained on the text, ChatML chat_template
/// </code>
/// Questions ask about the image (<c>"&lt;image&gt;\nWhat colour is the shape?"</c> → <c>"red."</c>), the sound
/// (<c>"&lt;audio&gt;\nIs the sound low, mid or high?"</c> → <c>"high."</c>), both, or nothing but text
/// (<c>"What colour do you get mixing red and blue?"</c> → <c>"purple."</c>); see <see cref="SyntheticQuestions"/>.
/// </summary>
/// <remarks>
/// Deterministic: the same options give byte-identical files on every machine (SplitMix64 streams per row,
/// portable arithmetic for sounds and vertices, no antialiasing). Each row draws from its own stream, so a
/// larger <see cref="SyntheticDatasetOptions.Count"/> keeps the earlier rows as they were.
/// </remarks>
public static class SyntheticDataset
{
    private static readonly string[] Outputs = ["images", "audio", "tokenizer", "train.jsonl", "test.jsonl", "sounds_train.jsonl", "sounds_test.jsonl", "meta.json"];

    /// <summary>Generates the dataset into <paramref name="outDir"/>.</summary>
    /// <param name="outDir">The folder; created when missing. It must be empty unless <paramref name="overwrite"/>.</param>
    /// <param name="options">What to generate.</param>
    /// <param name="overwrite">Replace the outputs of an earlier run in a non-empty folder (other files are left alone).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="IOException">The folder is not empty and <paramref name="overwrite"/> is false.</exception>
    public static SyntheticDatasetReport Generate(string outDir, SyntheticDatasetOptions options, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(outDir);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var folder = Path.GetFullPath(outDir);
        Prepare(folder, overwrite);

        var splits = new Dictionary<string, IReadOnlyList<SyntheticRow>>(StringComparer.Ordinal)
        {
            ["train"] = WriteSplit(folder, "train", 0, options.Count, options),
            ["test"] = WriteSplit(folder, "test", 1, options.TestCount, options),
        };
        var rows = splits.Values.SelectMany(r => r).ToList();
        var corpus = rows.SelectMany(r => r.Messages).Select(m => m.Content).Prepend("system user assistant");
        int vocab = SyntheticTokenizer.Write(Path.Combine(folder, "tokenizer"), corpus, options.TokenizerVocabSize);
        AtomicFile.WriteAllText(Path.Combine(folder, "meta.json"), SyntheticJson.Meta(options, splits, vocab));

        return new SyntheticDatasetReport(
            folder, options.Count, options.TestCount,
            rows.Count(r => r.Scene is not null), rows.Count(r => r.Tone is not null),
            SyntheticJson.Counts(SyntheticQuestions.AllTypes, rows.SelectMany(r => r.Questions).Select(q => q.Type)),
            vocab);
    }

    private static void Prepare(string folder, bool overwrite)
    {
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            if (!overwrite)
                throw new IOException($"{folder}: folder is not empty; choose a new or empty folder, or overwrite (--overwrite) to replace an earlier dataset.");
            foreach (var output in Outputs.Select(o => Path.Combine(folder, o)))
            {
                if (Directory.Exists(output))
                    Directory.Delete(output, recursive: true);
                else if (File.Exists(output))
                    File.Delete(output);
            }
        }

        Directory.CreateDirectory(Path.Combine(folder, "images"));
        Directory.CreateDirectory(Path.Combine(folder, "audio"));
    }

    private static List<SyntheticRow> WriteSplit(string folder, string split, int stream, int count, SyntheticDatasetOptions options)
    {
        int digits = Math.Max(5, (count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        var rows = new SyntheticRow[count];
        // Media are plain writes (no fsync per file); the row files and meta.json are written atomically last.
        Parallel.For(0, count, i =>
        {
            var row = SyntheticRow.Create($"{split}_{i.ToString(new string('0', digits), System.Globalization.CultureInfo.InvariantCulture)}",
                SplitMix64.ForStream(options.Seed, stream, i, 0));
            if (row.Scene is not null)
                File.WriteAllBytes(Path.Combine(folder, row.ImagePath!), ShapeRenderer.RenderPng(row.Scene, options.ImageSize));
            if (row.Tone is not null)
            {
                var samples = ToneSynthesizer.Synthesize(row.Tone, options.SampleRate, options.AudioSeconds, SplitMix64.ForStream(options.Seed, stream, i, 1));
                File.WriteAllBytes(Path.Combine(folder, row.AudioPath!), WavWriter.Pcm16Mono(samples, options.SampleRate));
            }
            rows[i] = row;
        });

        var text = new StringBuilder();
        foreach (var row in rows)
            text.Append(SyntheticJson.RowLine(row)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(folder, $"{split}.jsonl"), text.ToString());
        var sounds = new StringBuilder();
        foreach (var row in rows.Where(r => r.Tone is not null))
            sounds.Append(SyntheticJson.SoundLine(row)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(folder, $"sounds_{split}.jsonl"), sounds.ToString());
        return rows.ToList();
    }
}
