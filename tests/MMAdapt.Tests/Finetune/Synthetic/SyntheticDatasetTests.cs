using System.Text.Json;
using MMAdapt.Finetune.Data;
using MMAdapt.Finetune.Pretraining;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Models.Chat;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Synthetic;

[Collection(nameof(SyntheticDatasetCollection))]
public class SyntheticDatasetTests(SyntheticDatasetFixture data)
{
    private static string[] Files(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Two_runs_write_byte_identical_files()
    {
        using var temp = new TempFolder();
        SyntheticDataset.Generate(temp.File("again"), SyntheticDatasetFixture.Options);
        var files = Files(data.Folder);
        Assert.Equal(files, Files(temp.File("again")));
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(data.File(file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.File("again"), file))),
                $"{file} differs between runs");
    }

    [Fact]
    public void Another_seed_changes_the_data_and_more_rows_keep_the_earlier_ones()
    {
        using var temp = new TempFolder();
        SyntheticDataset.Generate(temp.File("seed"), SyntheticDatasetFixture.Options with { Seed = 8 });
        Assert.NotEqual(File.ReadAllText(data.File("train.jsonl")), File.ReadAllText(temp.File("seed/train.jsonl")));

        SyntheticDataset.Generate(temp.File("more"), SyntheticDatasetFixture.Options with { Count = 45, TestCount = 0 });
        var earlier = File.ReadAllLines(data.File("train.jsonl"));
        Assert.Equal(earlier, File.ReadAllLines(temp.File("more/train.jsonl")).Take(earlier.Length));
        var image = data.Rows("train").First(r => r.GetProperty("images").GetArrayLength() > 0).GetProperty("images")[0].GetString()!;
        Assert.Equal(File.ReadAllBytes(data.File(image)), File.ReadAllBytes(Path.Combine(temp.File("more"), image)));
    }

    [Fact]
    public void The_counts_agree_across_report_files_and_meta()
    {
        var report = data.Report;
        Assert.Equal(data.Folder, report.Folder);
        Assert.Equal((40, 10), (report.TrainRows, report.TestRows));
        Assert.Equal(40, File.ReadAllLines(data.File("train.jsonl")).Length);
        Assert.Equal(10, File.ReadAllLines(data.File("test.jsonl")).Length);
        var rows = data.Rows();
        Assert.Equal(report.Images, Directory.GetFiles(data.File("images"), "*.png").Length);
        Assert.Equal(report.Audios, Directory.GetFiles(data.File("audio"), "*.wav").Length);
        Assert.Equal(report.Images, rows.Sum(r => r.GetProperty("images").GetArrayLength()));
        Assert.Equal(report.Audios, rows.Sum(r => r.GetProperty("audios").GetArrayLength()));
        Assert.Equal(rows.Count, rows.Select(r => r.GetProperty("id").GetString()).Distinct().Count());

        var meta = data.Meta();
        Assert.Equal(40, meta.GetProperty("options").GetProperty("count").GetInt32());
        Assert.Equal(10, meta.GetProperty("splits").GetProperty("test").GetProperty("rows").GetInt32());
        var metaCounts = meta.GetProperty("question_types").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(report.QuestionCounts, metaCounts);
        var asked = rows.SelectMany(r => r.GetProperty("labels").GetProperty("question_types").EnumerateArray().Select(t => t.GetString()!))
            .GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(metaCounts, kv => Assert.Equal(asked.GetValueOrDefault(kv.Key), kv.Value));
        // All four kinds of rows occur even in a small dataset.
        Assert.Equal(["audio", "image", "image_audio", "text"],
            rows.Select(r => r.GetProperty("labels").GetProperty("kind").GetString()).Distinct().Order());
        Assert.Equal(rows.Sum(r => r.GetProperty("messages").GetArrayLength()) / 2, metaCounts.Values.Sum());
    }

    [Fact]
    public void Every_row_loads_as_a_conversation_with_its_media()
    {
        foreach (var split in new[] { "train", "test" })
        {
            var samples = ConversationDataset.Load(data.File($"{split}.jsonl"));
            var rows = data.Rows(split);
            Assert.Equal(rows.Count, samples.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                Assert.Equal(i + 1, samples[i].Row);
                Assert.Equal(rows[i].GetProperty("images").EnumerateArray().Select(p => data.File(p.GetString()!)), samples[i].Images);
                Assert.Equal(rows[i].GetProperty("audios").EnumerateArray().Select(p => data.File(p.GetString()!)), samples[i].Audios);
                Assert.Equal(samples[i].Messages.Count / 2, samples[i].Messages.Count(m => m.Role == "assistant"));
            }
        }
    }

    [Fact]
    public void Answers_are_short_exact_and_from_the_meta_vocabulary()
    {
        var meta = data.Meta();
        var answers = meta.GetProperty("answers").EnumerateArray().Select(a => a.GetString()!).ToHashSet();
        var samples = ConversationDataset.Load(data.File("train.jsonl")).Concat(ConversationDataset.Load(data.File("test.jsonl")));
        foreach (var message in samples.SelectMany(s => s.Messages).Where(m => m.Role == "assistant"))
        {
            Assert.Contains(message.Content, answers);
            Assert.Matches(@"^[a-z]+(, [a-z]+)?\.$", message.Content);
        }
        // The words of colours and shapes are the tiny demo model's.
        var vocabulary = meta.GetProperty("vocabulary");
        Assert.All(vocabulary.GetProperty("colours").EnumerateArray(), c => Assert.Contains(c.GetString(), ShapeSentences.Colours));
        Assert.All(vocabulary.GetProperty("shapes").EnumerateArray(), s => Assert.Contains(s.GetString(), ShapeSentences.Shapes));
    }

    [Fact]
    public void Answers_agree_with_the_row_labels()
    {
        foreach (var row in data.Rows())
        {
            var labels = row.GetProperty("labels");
            var turns = row.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()!).ToArray();
            var types = labels.GetProperty("question_types").EnumerateArray().Select(t => t.GetString()!).ToArray();
            for (int q = 0; q < types.Length; q++)
            {
                string answer = turns[2 * q + 1];
                string Image(string key) => labels.GetProperty("image").GetProperty(key).ToString();
                string Audio(string key) => labels.GetProperty("audio").GetProperty(key).GetString()!;
                string? expected = types[q] switch
                {
                    "image.colour" => $"{Image("colour")}.",
                    "image.shape" => $"{Image("shape")}.",
                    "image.count" => $"{new[] { "one", "two", "three" }[int.Parse(Image("count")) - 1]}.",
                    "image.position" => $"{Image("position")}.",
                    "audio.pitch" => $"{Audio("pitch")}.",
                    "audio.pattern" => $"{Audio("pattern")}.",
                    "audio.source" => $"{Audio("source")}.",
                    "image_audio.colour_pitch" => $"{Image("colour")}, {Audio("pitch")}.",
                    _ => null,
                };
                if (expected is not null)
                    Assert.Equal(expected, answer);
            }
            // Placeholders open the first user turn, images first.
            var prefix = (row.GetProperty("images").GetArrayLength() > 0 ? "<image>\n" : "") + (row.GetProperty("audios").GetArrayLength() > 0 ? "<audio>\n" : "");
            Assert.StartsWith(prefix, turns[0]);
            Assert.DoesNotContain("<", string.Concat(turns.Skip(1)));
        }
    }

    [Fact]
    public void Sound_classification_rows_repeat_every_sound_with_its_pitch_class_as_label()
    {
        foreach (var split in new[] { "train", "test" })
        {
            var withSound = data.Rows(split).Where(r => r.GetProperty("audios").GetArrayLength() > 0).ToList();
            var sounds = ConversationDataset.Load(data.File($"sounds_{split}.jsonl"));
            Assert.NotEmpty(sounds);
            Assert.Equal(withSound.Select(r => r.GetProperty("audios")[0].GetString()!).Select(data.File).Select(Path.GetFullPath), sounds.Select(s => s.Audios.Single()));
            Assert.Equal(withSound.Select(r => Array.IndexOf(["low", "mid", "high"], r.GetProperty("labels").GetProperty("audio").GetProperty("pitch").GetString())),
                sounds.Select(s => s.Label!.Value));
            Assert.All(sounds, s => Assert.Equal([ChatMessage.User("<audio>")], s.Messages));
            ClassLabels.Check(sounds, labels: 3);
        }
    }

    [Fact]
    public void A_non_empty_folder_is_refused_unless_overwriting_and_options_are_checked()
    {
        using var temp = new TempFolder();
        var folder = temp.File("busy");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        var error = Assert.Throws<IOException>(() => SyntheticDataset.Generate(folder, SyntheticDatasetFixture.Options with { Count = 2, TestCount = 1 }));
        Assert.Contains("not empty", error.Message);

        SyntheticDataset.Generate(folder, SyntheticDatasetFixture.Options with { Count = 6, TestCount = 1 }, overwrite: true);
        var report = SyntheticDataset.Generate(folder, SyntheticDatasetFixture.Options with { Count = 3, TestCount = 1 }, overwrite: true);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(folder, "notes.txt")));
        Assert.Equal(report.Images, Directory.GetFiles(Path.Combine(folder, "images")).Length); // no leftovers from the larger run

        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticDataset.Generate(temp.File("x"), new SyntheticDatasetOptions { ImageSize = 8 }));
        Assert.Contains("ImageSize must be between 32 and 1024, got 8", bad.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticDataset.Generate(temp.File("x"), new SyntheticDatasetOptions { Count = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticDataset.Generate(temp.File("x"), new SyntheticDatasetOptions { AudioSeconds = double.NaN }));
    }
}
