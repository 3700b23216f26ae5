using MMAdapt.Adapters.Routing;
using MMAdapt.Core.Display;
using MMAdapt.Core.Modules;
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

    /// <summary>A heatmap of routing load for one token modality: one row per router (in recording order), one column
    /// per expert, each cell the expert's share of that router's selections for tokens of that modality.</summary>
    /// <param name="snapshot">Routing statistics (<see cref="RoutingStatistics.Snapshot"/>).</param>
    /// <param name="modality">Whose tokens.</param>
    /// <param name="title">The title (default: "expert load share (… tokens)").</param>
    /// <returns>The picture, or null when no token of that modality was routed.</returns>
    public static PngImage? RoutingLoad(RoutingSnapshot snapshot, Modality modality, string? title = null)
    {
        if (snapshot.Layers.Count == 0)
            return null;
        var rows = snapshot.Layers.Select(l => l.CountsFor(modality)).ToList();
        if (rows.All(r => r.Sum() == 0))
            return null;
        var load = new double[rows.Count, snapshot.Layers.Max(l => l.Experts)];
        for (int r = 0; r < rows.Count; r++)
        {
            double total = Math.Max(1, rows[r].Sum());
            for (int e = 0; e < rows[r].Length; e++)
                load[r, e] = rows[r][e] / total;
        }
        return Heatmap(load, title ?? $"expert load share ({modality.ToString().ToLowerInvariant()} tokens)", "expert",
            $"router (0..{rows.Count - 1})", 900, Math.Clamp(120 + 14 * rows.Count, 300, 1400));
    }

    /// <summary>A heatmap of <paramref name="grid"/> (row 0 at the bottom) with a colour bar, as a PNG.</summary>
    internal static PngImage Heatmap(double[,] grid, string title, string xLabel, string yLabel, int width, int height, IColormap? colormap = null)
    {
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.FlipVertically = true;
        if (colormap is not null)
            heatmap.Colormap = colormap;
        plot.Add.ColorBar(heatmap);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return new PngImage(plot.GetImageBytes(width, height, ImageFormat.Png));
    }
}
