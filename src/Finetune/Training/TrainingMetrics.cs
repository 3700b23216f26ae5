using System.Text.Json;
using MMAdapt.Core.Display;

namespace MMAdapt.Finetune.Training;

/// <summary>One line of <c>metrics.jsonl</c>.</summary>
/// <param name="Stage">The stage's name.</param>
/// <param name="Step">Optimiser steps since the run began.</param>
/// <param name="StageStep">Optimiser steps since the stage began (0: the eval before its first step).</param>
/// <param name="Values">Every logged number by name (<c>loss</c>, <c>eval_loss</c>, <c>eval_accuracy</c>, <c>lr</c>, <c>aux/…</c>, ...).</param>
public sealed record MetricsRow(string Stage, int Step, int StageStep, IReadOnlyDictionary<string, double> Values);

/// <summary>
/// A run's logged metrics (its <c>metrics.jsonl</c>), for reading, summarising per stage and plotting: what a
/// notebook shows after training.
/// </summary>
[TypeFormatterSource(typeof(RichDisplayFormatters))]
public sealed class TrainingMetrics : IRichDisplay
{
    private TrainingMetrics(string file, IReadOnlyList<MetricsRow> rows) => (File, Rows) = (file, rows);

    /// <summary>The file read.</summary>
    public string File { get; }

    /// <summary>Every line, in order.</summary>
    public IReadOnlyList<MetricsRow> Rows { get; }

    /// <summary>The stages logged, in order of first appearance.</summary>
    public IReadOnlyList<string> Stages => Rows.Select(r => r.Stage).Distinct().ToList();

    /// <summary>Reads a run's metrics.</summary>
    /// <param name="outputDirOrFile">A run's output folder (holding <c>metrics.jsonl</c>) or the file itself.</param>
    /// <exception cref="FileNotFoundException">There is no metrics file there.</exception>
    /// <exception cref="InvalidDataException">A line is not a metrics record (names the file and line).</exception>
    public static TrainingMetrics Load(string outputDirOrFile)
    {
        var file = Directory.Exists(outputDirOrFile) ? Path.Combine(outputDirOrFile, MetricsLog.FileName) : outputDirOrFile;
        if (!System.IO.File.Exists(file))
            throw new FileNotFoundException($"no metrics file at {file} (a run writes {MetricsLog.FileName} into its output folder).", file);
        var rows = new List<MetricsRow>();
        int lineNumber = 0;
        foreach (var line in System.IO.File.ReadLines(file))
        {
            lineNumber++;
            if (line.Length == 0)
                continue;
            try
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                var values = new Dictionary<string, double>();
                foreach (var p in root.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.Number && p.Name is not ("step" or "stage_step"))
                        values[p.Name] = p.Value.GetDouble();
                rows.Add(new MetricsRow(root.GetProperty("stage").GetString()!, root.GetProperty("step").GetInt32(),
                    root.GetProperty("stage_step").GetInt32(), values));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{file}:{lineNumber}: not a metrics record (needs stage, step, stage_step): {e.Message}", e);
            }
        }
        return new TrainingMetrics(file, rows);
    }

    /// <summary>One metric's values in logging order: (x, value) where x is the stage step when <paramref name="stage"/>
    /// is given, else the run's step.</summary>
    public IReadOnlyList<(int Step, double Value)> Series(string metric, string? stage = null) =>
        Rows.Where(r => stage is null || r.Stage == stage)
            .Where(r => r.Values.ContainsKey(metric))
            .Select(r => (stage is null ? r.Step : r.StageStep, r.Values[metric])).ToList();

    /// <summary>The last logged value of a metric (in one stage, or anywhere), or null.</summary>
    public double? Last(string metric, string? stage = null) =>
        Series(metric, stage) is { Count: > 0 } series ? series[^1].Value : null;

    /// <summary>The first logged value of a metric (in one stage, or anywhere), or null.</summary>
    public double? First(string metric, string? stage = null) =>
        Series(metric, stage) is { Count: > 0 } series ? series[0].Value : null;

    /// <summary>Training and eval loss against steps (one stage's steps, or the whole run's) as a PNG.</summary>
    public PngImage PlotLoss(string? stage = null, int width = 800, int height = 450) =>
        Plot(["loss", "eval_loss"], stage, width, height);

    /// <summary>Any logged metrics against steps as a PNG, one line each (those never logged are left out).</summary>
    /// <exception cref="ArgumentException">None of them was logged (names them and the ones that were).</exception>
    public PngImage Plot(IReadOnlyList<string> metrics, string? stage = null, int width = 800, int height = 450)
    {
        var series = metrics.Select(m => (Name: m, Points: Series(m, stage))).Where(s => s.Points.Count > 0).ToList();
        if (series.Count == 0)
            throw new ArgumentException($"{File}: none of {string.Join(", ", metrics)} was logged{(stage is null ? "" : $" in stage '{stage}'")}; " +
                                        $"logged: {string.Join(", ", Rows.SelectMany(r => r.Values.Keys).Distinct().Order(StringComparer.Ordinal))}.", nameof(metrics));
        return TrainingPlots.Lines(series, stage is null ? "step" : $"{stage}: stage step", string.Join(", ", metrics), width, height);
    }

    /// <summary>One row per stage: steps, first and last training loss, last eval loss, eval accuracy before and after.</summary>
    public DisplayTable ToTable()
    {
        var table = new DisplayTable("stage", "steps>", "first loss>", "last loss>", "eval loss>", "eval accuracy>") { Title = $"Training metrics ({Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(File)))})" };
        static string Num(double? v) => v is double d ? DisplayTable.Number(d) : "-";
        foreach (var stage in Stages)
        {
            var first = First("eval_accuracy", stage);
            var last = Last("eval_accuracy", stage);
            string accuracy = last is null ? "-" : first is double f && Series("eval_accuracy", stage).Count > 1
                ? $"{DisplayTable.Percent(f)} -> {DisplayTable.Percent(last.Value)}" : DisplayTable.Percent(last.Value);
            table.Add(stage, Rows.Where(r => r.Stage == stage).Max(r => r.StageStep).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Num(First("loss", stage)), Num(Last("loss", stage)), Num(Last("eval_loss", stage)), accuracy);
        }
        return table;
    }

    /// <inheritdoc/>
    public string ToText() => ToTable().ToText();

    /// <inheritdoc/>
    public string ToHtml() => ToTable().ToHtml();

    /// <inheritdoc/>
    public override string ToString() => ToText();
}
