namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// One thing wrong with a recipe: the key path it concerns (<c>stages[1].train[0]</c>, <c>model.llm.path</c>), what is
/// wrong (naming the expected type, the accepted values or the closest valid key), and where it was written.
/// </summary>
/// <param name="Key">The key path: dotted keys, list items by index in brackets.</param>
/// <param name="Message">What is wrong and what would be right.</param>
/// <param name="File">The recipe file, when the value came from it (null for overrides, environment variables and
/// recipes built in code; the message then says where the value came from).</param>
/// <param name="Line">The 1-based line in <paramref name="File"/>, where known.</param>
public sealed record RecipeProblem(string Key, string Message, string? File, int? Line)
{
    /// <summary>A problem at a location (an override's or variable's name goes into the message).</summary>
    internal static RecipeProblem At(string key, string message, RecipeLocation location) =>
        location.Via is null
            ? new RecipeProblem(key, message, location.File, location.Line)
            : new RecipeProblem(key, $"{message} (from {location.Via})", null, null);

    /// <summary><c>file:line: key: message</c>, leaving out what is not known.</summary>
    public override string ToString()
    {
        var where = File is null ? "" : Line is null ? $"{File}: " : $"{File}:{Line}: ";
        return Key.Length == 0 ? $"{where}{Message}" : $"{where}{Key}: {Message}";
    }
}
