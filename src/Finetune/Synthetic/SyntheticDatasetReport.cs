namespace MMAdapt.Finetune.Synthetic;

/// <summary>What <see cref="SyntheticDataset.Generate"/> wrote.</summary>
/// <param name="Folder">The dataset folder (absolute).</param>
/// <param name="TrainRows">Rows in <c>train.jsonl</c>.</param>
/// <param name="TestRows">Rows in <c>test.jsonl</c>.</param>
/// <param name="Images">PNG files in <c>images/</c>.</param>
/// <param name="Audios">WAV files in <c>audio/</c>.</param>
/// <param name="QuestionCounts">Questions per type over both splits (e.g. <c>image.colour</c>), every type listed.</param>
/// <param name="TokenizerVocabSize">Ids of the tokenizer in <c>tokenizer/</c>, special tokens included.</param>
public sealed record SyntheticDatasetReport(
    string Folder, int TrainRows, int TestRows, int Images, int Audios, IReadOnlyDictionary<string, int> QuestionCounts, int TokenizerVocabSize);
