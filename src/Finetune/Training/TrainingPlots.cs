using System.Text.Json;
using ScottPlot;

namespace MMAdapt.Finetune.Training;

/// <summary>The pictures a stage leaves in its folder: <c>loss.png</c> and <c>experts.png</c>.</summary>
public static class TrainingPlots
{
    /// <summary>Plots the stage's training loss (and eval loss where logged) against its steps.</summary>
    /// <returns>The file written, or null when the stage logged no loss.</returns>
    public static string? Loss(string metricsFile, string stage, string outputPng)
    {
        var lines = MetricsLog.Read(metricsFile).Where(l => l["stage"].GetString() == stage).ToList();
        var train = lines.Where(l => l.ContainsKey("loss")).Select(l => (X: (double)l["stage_step"].GetInt32(), Y: l["loss"].GetDouble())).ToList();
        if (train.Count == 0)
            return null;
        var plot = new Plot();
        var curve = plot.Add.Scatter(train.Select(p => p.X).ToArray(), train.Select(p => p.Y).ToArray());
        curve.LegendText = "train loss";
        var eval = lines.Where(l => l.ContainsKey("eval_loss")).Select(l => (X: (double)l["stage_step"].GetInt32(), Y: l["eval_loss"].GetDouble())).ToList();
        if (eval.Count > 0)
        {
            var evalCurve = plot.Add.Scatter(eval.Select(p => p.X).ToArray(), eval.Select(p => p.Y).ToArray());
            evalCurve.LegendText = "eval loss";
        }
        plot.Title($"{stage}: loss");
        plot.XLabel("stage step");
        plot.YLabel("loss");
        plot.ShowLegend();
        plot.SavePng(outputPng, 800, 500);
        return outputPng;
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
