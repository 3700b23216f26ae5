namespace MMAdapt.Finetune.Recipes.Syntax;

/// <summary>
/// Key paths as problems name them: dotted keys, list items by index in brackets (<c>stages[1].train[0]</c>); a key
/// that holds a dot or bracket itself (an <c>lr_groups</c> glob) in quoted brackets (<c>lr_groups["llm.*"]</c>).
/// </summary>
internal static class RecipePath
{
    /// <summary>The path of <paramref name="key"/> under <paramref name="parent"/>.</summary>
    public static string Key(string parent, string key)
    {
        if (key.AsSpan().IndexOfAny(".[]\"") >= 0)
            return $"{parent}[\"{key}\"]";
        return parent.Length == 0 ? key : $"{parent}.{key}";
    }

    /// <summary>The path of item <paramref name="index"/> of the list at <paramref name="parent"/>.</summary>
    public static string Index(string parent, int index) => $"{parent}[{index}]";
}
