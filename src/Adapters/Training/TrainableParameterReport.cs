using System.Globalization;
using System.Text;

namespace MMAdapt.Adapters.Training;

/// <summary>Trainable and total parameters of one component.</summary>
/// <param name="Component">llm, vision, audio, connector, ...</param>
/// <param name="Trainable">Elements that receive gradients.</param>
/// <param name="Total">All elements.</param>
public sealed record ComponentParameterCount(string Component, long Trainable, long Total)
{
    /// <summary>Trainable share in percent.</summary>
    public double Percent => Total == 0 ? 0 : 100.0 * Trainable / Total;
}

/// <summary>The trainable-parameter report: per component and overall, as PEFT's <c>print_trainable_parameters</c>.</summary>
/// <param name="Components">One row per component.</param>
public sealed record TrainableParameterReport(IReadOnlyList<ComponentParameterCount> Components)
{
    /// <summary>Trainable elements over all components.</summary>
    public long Trainable => Components.Sum(c => c.Trainable);

    /// <summary>All elements over all components.</summary>
    public long Total => Components.Sum(c => c.Total);

    /// <summary>A plain-text table, one line per component plus a total.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"component",-12} {"trainable",14} {"total",14} {"%",8}");
        foreach (var c in Components)
            text.AppendLine(CultureInfo.InvariantCulture, $"{c.Component,-12} {c.Trainable,14:N0} {c.Total,14:N0} {c.Percent,8:F4}");
        double percent = Total == 0 ? 0 : 100.0 * Trainable / Total;
        text.Append(CultureInfo.InvariantCulture, $"{"all",-12} {Trainable,14:N0} {Total,14:N0} {percent,8:F4}");
        return text.ToString();
    }
}
