using System.CommandLine;
using MMAdapt.Finetune.Synthetic;

namespace MMAdapt.Cli.Commands;

/// <summary>
/// <c>mmadapt data synth --out DIR [--seed S] [--count N] [--test-count M] [--overwrite]</c>: writes the seeded
/// synthetic multimodal dataset (coloured-shape images, simple sounds, ShareGPT rows, a tokenizer; see
/// <see cref="SyntheticDataset"/>); the same options give identical files.
/// </summary>
internal static class DataCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("data", "Work with fine-tuning datasets.");
        command.Subcommands.Add(Synth(output));
        return command;
    }

    private static Command Synth(TextWriter output)
    {
        var defaults = new SyntheticDatasetOptions();
        var folder = new Option<string>("--out", "-o") { Description = "Folder to write the dataset to (new or empty unless --overwrite).", Required = true };
        var seed = new Option<long>("--seed") { Description = "Seed of everything drawn.", DefaultValueFactory = _ => defaults.Seed };
        var count = new Option<int>("--count") { Description = "Training rows (train.jsonl).", DefaultValueFactory = _ => defaults.Count };
        var testCount = new Option<int>("--test-count") { Description = "Held-out rows (test.jsonl).", DefaultValueFactory = _ => defaults.TestCount };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the dataset files of an earlier run in the folder." };
        var command = new Command("synth", "Generate the synthetic image/audio/text instruction dataset about coloured shapes and sounds.")
        {
            folder, seed, count, testCount, overwrite,
        };
        command.SetAction(parse =>
        {
            int rows = parse.GetValue(count), heldOut = parse.GetValue(testCount);
            if (rows < 1)
                throw new ArgumentException($"--count must be at least 1, got {rows}.");
            if (heldOut < 0)
                throw new ArgumentException($"--test-count must be 0 or more, got {heldOut}.");
            var options = defaults with { Seed = parse.GetValue(seed), Count = rows, TestCount = heldOut };
            var report = SyntheticDataset.Generate(parse.GetValue(folder)!, options, parse.GetValue(overwrite));
            output.WriteLine($"train rows:  {report.TrainRows} (train.jsonl)");
            output.WriteLine($"test rows:   {report.TestRows} (test.jsonl)");
            output.WriteLine($"images:      {report.Images} (images/)");
            output.WriteLine($"audio clips: {report.Audios} (audio/)");
            output.WriteLine($"questions:   {string.Join(", ", report.QuestionCounts.Select(kv => $"{kv.Key} {kv.Value}"))}");
            output.WriteLine($"tokenizer:   {report.TokenizerVocabSize} ids (tokenizer/)");
            output.WriteLine($"wrote {report.Folder}");
            return 0;
        });
        return command;
    }
}
