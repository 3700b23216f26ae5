using static TorchSharp.torch;

namespace MMAdapt.Finetune.Export;

/// <summary>How <see cref="LlavaExport"/> writes a Hugging Face LLaVA folder.</summary>
public sealed record LlavaExportOptions
{
    /// <summary>Dtype of every written weight (float32, bfloat16 or float16); null (the default): the LLM config's
    /// <c>torch_dtype</c>, float32 when it has none.</summary>
    public ScalarType? Dtype { get; init; }

    /// <summary>Replace an existing output folder (default false: refuse and leave it untouched).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Export a model that also has an audio tower without it (default false: refuse, since LLaVA has no
    /// audio input and the export would silently lose it). When true, the report carries a warning.</summary>
    public bool DropAudio { get; init; }

    /// <summary>When the <c>&lt;image&gt;</c> token needs a new embedding row, the vocabulary grows to the next multiple of
    /// this (default 64, as Hugging Face's LLaVA conversion scripts pad for GPU efficiency; 1: no padding).</summary>
    public int PadVocabularyTo { get; init; } = 64;

    /// <summary>The most data bytes per safetensors shard (default 5 GiB, as <c>transformers</c>); larger models are
    /// written as <c>model-0000i-of-0000n.safetensors</c> with <c>model.safetensors.index.json</c>.</summary>
    public long MaxShardBytes { get; init; } = 5L << 30;
}
