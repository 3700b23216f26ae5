using MMAdapt.Finetune.Data;
using MMAdapt.Tests.Cli;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Synthetic;

[Collection(nameof(MMAdapt.Tests.Models.LogSinkCollection))]
public class DataCommandTests
{
    [Fact]
    public void Data_synth_writes_the_dataset_and_prints_counts_and_folder()
    {
        using var temp = new TempFolder();
        var folder = temp.File("synth");
        var (code, output, error) = CliRun.Run("data", "synth", "--out", folder, "--seed", "3", "--count", "12", "--test-count", "4");
        Assert.Equal("", error);
        Assert.Equal(0, code);
        Assert.Contains("train rows:  12 (train.jsonl)\n", output);
        Assert.Contains("test rows:   4 (test.jsonl)\n", output);
        Assert.Matches(@"images:      \d+ \(images/\)", output);
        Assert.Contains("questions:   image.colour ", output);
        Assert.EndsWith($"wrote {folder}\n", output.Replace("\r\n", "\n"));
        Assert.Equal(12, ConversationDataset.Load(Path.Combine(folder, "train.jsonl")).Count);

        // Again into the same folder: refused without --overwrite, in one error line.
        (code, _, error) = CliRun.Run("data", "synth", "--out", folder, "--count", "2");
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {folder}: folder is not empty", error);
        Assert.Single(error.TrimEnd().Split('\n'));
        (code, _, _) = CliRun.Run("data", "synth", "--out", folder, "--count", "2", "--test-count", "1", "--overwrite");
        Assert.Equal(0, code);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(folder, "train.jsonl")).Length);
    }

    [Fact]
    public void Bad_counts_are_one_error_line_naming_the_flag()
    {
        using var temp = new TempFolder();
        var (code, _, error) = CliRun.Run("data", "synth", "--out", temp.File("x"), "--count", "0");
        Assert.Equal(1, code);
        Assert.Equal("error: --count must be at least 1, got 0.\n", error.Replace("\r\n", "\n"));
        (code, _, error) = CliRun.Run("data", "synth", "--count", "3");
        Assert.Equal(2, code);
        Assert.Contains("--out", error);
    }
}
