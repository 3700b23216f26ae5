namespace MMAdapt.Finetune.Recipes;

/// <summary><c>model</c>: the frozen backbones, each a Hugging Face checkpoint folder on disk.</summary>
public sealed record ModelSection
{
    /// <summary><c>model.llm</c>: the language model. Required.</summary>
    public LlmSection Llm { get; init; } = new();

    /// <summary><c>model.vision</c>: the vision tower (CLIP, SigLIP or a LLaVA folder's tower); null: no images.</summary>
    public VisionSection? Vision { get; init; }

    /// <summary><c>model.audio</c>: the audio tower (Whisper encoder or AST); null: no audio.</summary>
    public AudioSection? Audio { get; init; }
}

/// <summary><c>model.llm</c>: the frozen language model (Llama, Mistral or Qwen2 family).</summary>
public sealed record LlmSection
{
    /// <summary><c>path</c>: the checkpoint folder (<c>config.json</c>, safetensors, tokenizer). Required.</summary>
    public string Path { get; init; } = "";

    /// <summary><c>chat_template</c>: a built-in template (<c>llama3</c>, <c>chatml</c>, <c>mistral</c>, <c>llama2</c>,
    /// <c>plain</c>); null (the default): the one recognised from the folder's <c>tokenizer_config.json</c>.</summary>
    public string? ChatTemplate { get; init; }
}

/// <summary><c>model.vision</c>: the frozen vision tower and how its features are taken.</summary>
public sealed record VisionSection
{
    /// <summary><c>path</c>: the checkpoint folder (<c>config.json</c>, <c>preprocessor_config.json</c>). Required.</summary>
    public string Path { get; init; } = "";

    /// <summary><c>feature_layer</c>: the hidden-state index the features come from, Hugging Face's
    /// <c>hidden_states[N]</c> (default -2, LLaVA's penultimate layer).</summary>
    public int FeatureLayer { get; init; } = -2;

    /// <summary><c>keep_class_token</c>: keep the class token with the patch tokens (default false, as LLaVA).</summary>
    public bool KeepClassToken { get; init; }

    /// <summary><c>pad_to_square</c>: pad images to a square of the mean colour first (LLaVA's <c>pad</c>; default false).</summary>
    public bool PadToSquare { get; init; }
}

/// <summary><c>model.audio</c>: the frozen audio tower (Whisper encoder or AST).</summary>
public sealed record AudioSection
{
    /// <summary><c>path</c>: the checkpoint folder (<c>config.json</c>, <c>preprocessor_config.json</c>). Required.</summary>
    public string Path { get; init; } = "";

    /// <summary><c>trim</c>: cut Whisper's output to the real audio length instead of 30 s (default false; AST ignores it).</summary>
    public bool Trim { get; init; }
}
