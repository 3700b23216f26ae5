namespace MMAdapt.Finetune.Recipes;

/// <summary>What a stage's loss is (<c>objective</c>).</summary>
public enum StageObjective
{
    /// <summary><c>lm</c>: next-token cross-entropy on the tokens <see cref="DataSection.LossOn"/> selects.</summary>
    Lm,

    /// <summary><c>classify</c>: cross-entropy of a <see cref="ClassifyHead"/> over one component's pooled features.</summary>
    Classify,
}
