using static TorchSharp.torch;

namespace MMAdapt.Finetune.Export;

/// <summary>What <see cref="LlavaExport"/> wrote.</summary>
/// <param name="Folder">The LLaVA folder (full path).</param>
/// <param name="ImageTokenId">The <c>&lt;image&gt;</c> token's id (<c>image_token_index</c>).</param>
/// <param name="VocabularySize">Rows of the exported embedding and LM head (<c>text_config.vocab_size</c>).</param>
/// <param name="ImageSequenceLength">LLM tokens per image (<c>image_seq_length</c>).</param>
/// <param name="Dtype">Dtype of the written weights.</param>
/// <param name="MergedAdapters">Adapters folded into the weights.</param>
/// <param name="Checkpoint">The trained checkpoint the weights came from (null for an in-memory model).</param>
/// <param name="Files">The files written, by name, sorted.</param>
/// <param name="Warnings">What the export left out or could not express exactly (empty when nothing).</param>
public sealed record LlavaExportReport(string Folder, int ImageTokenId, int VocabularySize, int ImageSequenceLength, ScalarType Dtype,
    int MergedAdapters, string? Checkpoint, IReadOnlyList<string> Files, IReadOnlyList<string> Warnings);
