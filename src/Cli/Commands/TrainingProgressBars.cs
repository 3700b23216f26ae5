using MMAdapt.Finetune.Training;
using Spectre.Console;

namespace MMAdapt.Cli.Commands;

/// <summary>
/// A Spectre.Console progress bar per stage for <c>mmadapt train</c> in a terminal: steps done, loss, learning rate
/// and time left. Lines the trainer prints (evaluations, checkpoints) appear above the bars. Used only when standard
/// output is an interactive terminal; otherwise the plain lines go to the output as they are.
/// </summary>
internal sealed class TrainingProgressBars(ProgressContext context) : IProgress<StageProgress>
{
    private readonly Dictionary<string, ProgressTask> tasks = new(StringComparer.Ordinal);

    /// <summary>True when the process writes to an interactive terminal that can redraw a live display.</summary>
    public static bool Available(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="train"/> under a live progress display; its lines go above the bars.</summary>
    public static T Run<T>(Func<TextWriter, IProgress<StageProgress>, T> train) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => train(new MarkupSafeWriter(), new TrainingProgressBars(context)));

    public void Report(StageProgress value)
    {
        if (!tasks.TryGetValue(value.Stage, out var task))
            tasks[value.Stage] = task = context.AddTask(Markup.Escape(value.Stage), maxValue: value.TotalSteps);
        task.Value = value.StageStep;
        if (value.Loss is double loss)
            task.Description = Markup.Escape($"{value.Stage}  loss {loss:F4}  lr {value.LearningRate:E2}");
        if (value.StageStep >= value.TotalSteps)
            task.StopTask();
    }

    // The trainer's lines, written through Spectre so they land above the live display (and are never read as markup).
    private sealed class MarkupSafeWriter : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void WriteLine(string? value) => AnsiConsole.WriteLine(value ?? "");

        public override void Write(char value) => AnsiConsole.Write(value.ToString());
    }
}
