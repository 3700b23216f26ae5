namespace MMAdapt.Finetune.Data;

/// <summary>
/// Class labels of <c>classify</c> stages: each row's integer under <see cref="Key"/>, checked against the head's label
/// count before any training so a bad row fails fast, naming the file, the row and the expected range.
/// </summary>
public static class ClassLabels
{
    /// <summary>The row key holding the class label (ShareGPT and LLaVA rows alike).</summary>
    public const string Key = "label";

    /// <summary>Checks that every sample has a label in <c>[0, <paramref name="labels"/>)</c>.</summary>
    /// <exception cref="DatasetException">The first sample without a label, or with one out of range.</exception>
    public static void Check(IEnumerable<ConversationSample> samples, int labels)
    {
        foreach (var s in samples)
        {
            if (s.Label is not int label)
                throw new DatasetException(s.Source, s.Location, s.Row, $"no '{Key}'; a classify stage needs an integer class label in [0, {labels}) on every row.");
            if (label < 0 || label >= labels)
                throw new DatasetException(s.Source, s.Location, s.Row, $"'{Key}' is {label}; expected an integer in [0, {labels}) (the head has {labels} labels).");
        }
    }
}
