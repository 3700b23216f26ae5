namespace MMAdapt.Finetune.Recipes;

/// <summary>How a stage's learning rate moves after the linear warm-up (<c>scheduler</c>).</summary>
public enum LrSchedule
{
    /// <summary><c>cosine</c>: half a cosine from the peak to zero at the stage's last step.</summary>
    Cosine,

    /// <summary><c>linear</c>: a straight line from the peak to zero at the stage's last step.</summary>
    Linear,

    /// <summary><c>constant</c>: the peak until the end.</summary>
    Constant,
}
