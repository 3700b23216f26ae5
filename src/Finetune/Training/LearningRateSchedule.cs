namespace MMAdapt.Finetune.Training;

/// <summary>The learning-rate shapes a stage can use after its warm-up.</summary>
public enum ScheduleKind
{
    /// <summary>Half a cosine from the peak to zero.</summary>
    Cosine,
    /// <summary>A straight line from the peak to zero.</summary>
    Linear,
    /// <summary>The peak throughout.</summary>
    Constant,
}

/// <summary>The factor on a group's peak learning rate at each step: linear warm-up from 1/warmup to 1, then the shape.</summary>
public static class LearningRateSchedule
{
    /// <summary>The factor for optimiser step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    public static double Factor(int step, int totalSteps, int warmupSteps, ScheduleKind kind)
    {
        if (warmupSteps > 0 && step < warmupSteps)
            return (step + 1) / (double)warmupSteps;
        int decaySteps = Math.Max(1, totalSteps - warmupSteps);
        double progress = Math.Clamp((step - warmupSteps) / (double)decaySteps, 0, 1);
        return kind switch
        {
            ScheduleKind.Cosine => 0.5 * (1 + Math.Cos(Math.PI * progress)),
            ScheduleKind.Linear => 1 - progress,
            _ => 1,
        };
    }
}
