namespace MMAdapt.Finetune.Pretraining;

/// <summary>What <see cref="TinyBaseModels.Pretrain"/> wrote.</summary>
/// <param name="Llm">The conversation language model's report.</param>
/// <param name="Vision">The vision tower's report (held-out accuracy per attribute).</param>
/// <param name="Audio">The audio tower's report.</param>
public sealed record TinyBaseModelsReport(TinyPretrainingReport Llm, TowerPretrainingReport Vision, TowerPretrainingReport Audio);

/// <summary>
/// The quickstart's three frozen base models, pretrained from nothing on the synthetic data's world and written in
/// Hugging Face layout: <c>llm/</c> (Llama architecture, the project's BPE tokenizer, knows the dataset's language from
/// text and captions), <c>vision/</c> (CLIP architecture, sees colour, shape, count and position) and <c>audio/</c>
/// (Whisper encoder, hears pitch, pattern and source). None has seen the other modalities: connectors and adapters
/// join them. The same seed gives byte-identical files; <c>fast</c> trains a few steps of each (CI proves the
/// reproducibility with it).
/// </summary>
public static class TinyBaseModels
{
    /// <summary>Pretrains the three models into <paramref name="folder"/>.</summary>
    /// <param name="folder">Where <c>llm</c>, <c>vision</c> and <c>audio</c> go.</param>
    /// <param name="seed">Seed of the data, weights and batch orders.</param>
    /// <param name="fast">A few steps of each (for tests of reproducibility, not for use).</param>
    /// <param name="log">Progress lines, or null.</param>
    public static TinyBaseModelsReport Pretrain(string folder, int seed = 0, bool fast = false, TextWriter? log = null)
    {
        var lmOptions = fast ? FastConversations with { Seed = seed } : TinyLanguageModelOptions.Conversations with { Seed = seed };
        var vision = fast ? TinyVisionTowerOptions.Fast : new TinyVisionTowerOptions();
        var audio = fast ? TinyAudioTowerOptions.Fast : new TinyAudioTowerOptions();
        log?.WriteLine("== llm: conversation language model");
        var llm = TinyLanguageModelPretrainer.PretrainOnConversations(Path.Combine(folder, "llm"), lmOptions, line => log?.WriteLine(line));
        log?.WriteLine("== vision: CLIP-architecture tower on shapes");
        var seen = TinyVisionPretrainer.Train(Path.Combine(folder, "vision"), vision with { Training = vision.Training with { Seed = seed } }, log);
        log?.WriteLine("== audio: Whisper-architecture encoder on sounds");
        var heard = TinyAudioPretrainer.Train(Path.Combine(folder, "audio"), audio with { Training = audio.Training with { Seed = seed } }, log);
        return new TinyBaseModelsReport(llm, seen, heard);
    }

    private static readonly TinyLanguageModelOptions FastConversations =
        TinyLanguageModelOptions.Conversations with { Steps = 20, Sentences = 300, HiddenSize = 32, Layers = 1, IntermediateSize = 64, BatchSize = 8 };
}
