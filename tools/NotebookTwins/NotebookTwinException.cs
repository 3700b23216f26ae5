namespace MMAdapt.Tools.NotebookTwins;

/// <summary>A notebook that cannot become a twin; the message names the notebook and, where it applies, the cell.</summary>
public sealed class NotebookTwinException(string message) : Exception(message)
{
    /// <summary>An error in one cell: <c>01-intro.ipynb, cell 3: message</c>.</summary>
    public static NotebookTwinException InCell(string notebook, int cell, string message) =>
        new($"{notebook}, cell {cell}: {message}");
}
