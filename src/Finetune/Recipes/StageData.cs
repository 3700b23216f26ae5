namespace MMAdapt.Finetune.Recipes;

/// <summary>A stage's <c>data</c>: datasets that replace the recipe's <c>data.train</c> / <c>data.eval</c> for that
/// stage alone. Tokenisation settings (<c>max_seq_len</c>, <c>loss_on</c>, <c>on_truncate</c>) stay recipe-wide.</summary>
public sealed record StageData
{
    /// <summary><c>train</c>: the stage's training set; null: the recipe's.</summary>
    public DatasetSpec? Train { get; init; }

    /// <summary><c>eval</c>: the stage's evaluation set; null: the recipe's.</summary>
    public DatasetSpec? Eval { get; init; }
}
