namespace MMAdapt.Finetune.Recipes;

/// <summary>Which tokens the language-model loss counts (<c>data.loss_on</c>).</summary>
public enum LossTokens
{
    /// <summary><c>assistant</c>: only the assistant turns' tokens (the usual instruction-tuning mask).</summary>
    Assistant,

    /// <summary><c>all</c>: every text token (captioning-style alignment on raw text).</summary>
    All,
}
