namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// <c>head</c> of a <c>classify</c> stage: a linear classifier over one component's pooled features (an AST or Whisper
/// tower's tokens for audio tagging, say), trained with cross-entropy on the dataset's labels.
/// </summary>
public sealed record ClassifyHead
{
    /// <summary><c>component</c>: whose features are pooled: <c>llm</c>, <c>vision</c>, <c>audio</c> or
    /// <c>connector:NAME</c>. Required.</summary>
    public string Component { get; init; } = "";

    /// <summary><c>labels</c>: the number of classes (at least 2). Required.</summary>
    public int Labels { get; init; }

    /// <summary><c>pooling</c>: <c>mean</c> (the default) or <c>cls</c>.</summary>
    public HeadPooling Pooling { get; init; } = HeadPooling.Mean;
}
