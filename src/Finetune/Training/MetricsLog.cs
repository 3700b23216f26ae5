using System.Globalization;
using System.Text;
using System.Text.Json;
using TorchSharp.Modules;

namespace MMAdapt.Finetune.Training;

/// <summary>
/// Writes training metrics to <c>&lt;output_dir&gt;/metrics.jsonl</c> (one JSON object per line, flushed per line) and to
/// TensorBoard event files (<c>&lt;output_dir&gt;/tensorboard</c>). On resume, lines after the checkpoint's step are
/// dropped first, so the file reads as if the run had never stopped.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    /// <summary>The file name inside the output folder.</summary>
    public const string FileName = "metrics.jsonl";

    private readonly string path;
    private readonly SummaryWriter? tensorBoard;

    /// <summary>Opens (or creates) the log of a run.</summary>
    /// <param name="outputDir">The run's output folder.</param>
    /// <param name="tensorBoard">Also write TensorBoard event files.</param>
    public MetricsLog(string outputDir, bool tensorBoard = true)
    {
        Directory.CreateDirectory(outputDir);
        path = System.IO.Path.Combine(outputDir, FileName);
        if (tensorBoard)
            this.tensorBoard = TorchSharp.torch.utils.tensorboard.SummaryWriter(System.IO.Path.Combine(outputDir, "tensorboard"));
    }

    /// <summary>The metrics file.</summary>
    public string Path => path;

    /// <summary>Appends one record.</summary>
    public void Write(MetricsRecord record)
    {
        using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            var line = Format(record);
            stream.Write(line);
            stream.Flush(flushToDisk: true);
        }
        if (tensorBoard is not null)
            foreach (var (tag, value) in Scalars(record))
                tensorBoard.add_scalar($"{record.Stage}/{tag}", (float)value, record.Step);
    }

    /// <summary>Drops every line whose <c>step</c> is greater than <paramref name="step"/> (resuming from that step), and
    /// with <paramref name="restartingStage"/> also that stage's lines (a stage starting over after an interruption).
    /// A line cut short by a killed process is dropped too.</summary>
    public void TruncateAfter(int step, string? restartingStage = null)
    {
        if (!File.Exists(path))
            return;
        var kept = File.ReadAllLines(path).Where(line =>
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                return root.GetProperty("step").GetInt32() <= step
                       && (restartingStage is null || root.GetProperty("stage").GetString() != restartingStage);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return false; // torn or foreign line
            }
        }).ToList();
        MMAdapt.Core.IO.AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join("\n", kept) + "\n");
    }

    /// <summary>Reads every record of a metrics file (for plots and tests): each line as a name → value map.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, JsonElement>> Read(string file) =>
        File.Exists(file)
            ? File.ReadAllLines(file).Where(l => l.Length > 0)
                .Select(l => (IReadOnlyDictionary<string, JsonElement>)JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(l)!).ToList()
            : [];

    private static byte[] Format(MetricsRecord r)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("stage", r.Stage);
            json.WriteNumber("step", r.Step);
            json.WriteNumber("stage_step", r.StageStep);
            foreach (var (name, value) in Scalars(r))
                json.WriteNumber(name, value);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    // Named values in the order they are written.
    private static IEnumerable<(string Name, double Value)> Scalars(MetricsRecord r)
    {
        if (r.Loss is double loss) yield return ("loss", loss);
        foreach (var (name, value) in r.Aux.OrderBy(kv => kv.Key, StringComparer.Ordinal)) yield return ("aux/" + name, value);
        if (r.LearningRate is double lr) yield return ("lr", lr);
        if (r.GradNorm is double norm) yield return ("grad_norm", norm);
        if (r.TokensPerSecond is double tps) yield return ("tokens_per_s", tps);
        if (r.EvalLoss is double evalLoss) yield return ("eval_loss", evalLoss);
        if (r.EvalAccuracy is double accuracy) yield return ("eval_accuracy", accuracy);
        foreach (var (name, value) in r.Extra.OrderBy(kv => kv.Key, StringComparer.Ordinal)) yield return (name, value);
    }

    /// <summary>Nothing to close: the TensorBoard writer flushes every event as it writes it.</summary>
    public void Dispose() { }
}
