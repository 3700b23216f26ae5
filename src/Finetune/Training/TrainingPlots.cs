using MMAdapt.Core.Display;
using ScottPlot;

namespace MMAdapt.Finetune.Training;

/// <summary>The pictures a stage leaves in its folder: <c>loss.png</c> and <c>experts.png</c>.</summary>
public static class TrainingPlots
{
    /// <summary>Plots the stage's training loss (and eval loss where logged) against its steps.</summary>
    /// <returns>The file written, or null when the stage logged no loss.</returns>
    public static string? Loss(string metricsFile, string stage, string outputPng)
    {
        if (!File.Exists(metricsFile))
            return null;
        var metrics = TrainingMetrics.Load(metricsFile);
        if (metrics.Series("loss", stage).Count == 0)
            return null;
        metrics.PlotLoss(stage).Save(outputPng);
        return outputPng;
    }

    /// <summary>Line plots of named series against steps, as a PNG.</summary>
    /// <param name="series">Each line: its legend name and (step, value) points.</param>
    /// <param name="xLabel">The x axis label.</param>
    /// <param name="title">The title.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static PngImage Lines(IReadOnlyList<(string Name, IReadOnlyList<(int Step, double Value)> Points)> series, string xLabel, string title, int width, int height)
    {
        var plot = new Plot();
        foreach (var (name, points) in series)
        {
            var line = plot.Add.Scatter(points.Select(p => (double)p.Step).ToArray(), points.Select(p => p.Value).ToArray());
            line.LegendText = name;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        if (series.Count > 1)
            plot.ShowLegend();
        return new PngImage(plot.GetImageBytes(width, height, ImageFormat.Png));
    }

    /// <summary>A heatmap of routing load: one row per router (layer), one column per expert, for one token modality.</summary>
    /// <param name="load">Rows of per-expert shares.</param>
    /// <param name="rowNames">Router names (shown in the title when few).</param>
    /// <param name="title">The plot title.</param>
    /// <param name="outputPng">The file to write.</param>
    public static string Experts(double[,] load, IReadOnlyList<string> rowNames, string title, string outputPng)
    {
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(load);
        heatmap.FlipVertically = true;
        plot.Add.ColorBar(heatmap);
        plot.Title(title);
        plot.XLabel("expert");
        plot.YLabel($"router (0..{rowNames.Count - 1})");
        plot.SavePng(outputPng, 900, Math.Clamp(120 + 14 * rowNames.Count, 300, 1400));
        return outputPng;
    }
}
