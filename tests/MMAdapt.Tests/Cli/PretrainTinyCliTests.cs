using MMAdapt.Encoders;
using MMAdapt.Models;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Cli;

/// <summary><c>mmadapt pretrain-tiny --fast</c>: the quickstart's base models rebuild byte for byte from their seed (the
/// full run takes minutes; its fast mode proves the reproducibility in CI) and load like real checkpoints.</summary>
public class PretrainTinyCliTests
{
    [Fact]
    public void Fast_pretraining_twice_writes_identical_folders_that_load_as_real_checkpoints()
    {
        using var temp = new TempFolder();
        var (code, output, error) = CliRun.Run("pretrain-tiny", "--output", temp.File("a"), "--fast");
        Assert.True(code == 0, error);
        Assert.Contains($"wrote {temp.File("a")}", output);
        (code, _, error) = CliRun.Run("pretrain-tiny", "--output", temp.File("b"), "--fast");
        Assert.True(code == 0, error);

        var files = Directory.GetFiles(temp.File("a"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(temp.File("a"), f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
        [
            "audio/config.json", "audio/model.safetensors", "audio/preprocessor_config.json",
            "llm/config.json", "llm/generation_config.json", "llm/model.safetensors", "llm/tokenizer.json", "llm/tokenizer_config.json",
            "vision/config.json", "vision/model.safetensors", "vision/preprocessor_config.json",
        ], files.Select(f => f.Replace('\\', '/')));
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(temp.File("a"), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.File("b"), file))), $"{file} differs");

        using (var lm = LanguageModel.Load(temp.File("a/llm")))
            Assert.NotNull(lm.RequireTokenizer().TokenToId("<|im_end|>"));
        using (var vision = EncoderPipeline.Load(temp.File("a/vision"))) { }
        using (var audio = EncoderPipeline.Load(temp.File("a/audio"))) { }
    }
}
