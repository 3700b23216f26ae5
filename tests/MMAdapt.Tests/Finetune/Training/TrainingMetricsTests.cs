using MMAdapt.Finetune.Training;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Training;

public class TrainingMetricsTests
{
    private const string TwoStages =
        "{\"stage\":\"a\",\"step\":0,\"stage_step\":0,\"eval_loss\":3.0,\"eval_accuracy\":0.25}\n" +
        "{\"stage\":\"a\",\"step\":5,\"stage_step\":5,\"loss\":2.5,\"lr\":0.001}\n" +
        "{\"stage\":\"a\",\"step\":10,\"stage_step\":10,\"loss\":2.0,\"lr\":0.0005}\n" +
        "{\"stage\":\"a\",\"step\":10,\"stage_step\":10,\"eval_loss\":2.1,\"eval_accuracy\":0.5}\n" +
        "{\"stage\":\"b\",\"step\":15,\"stage_step\":5,\"loss\":1.5}\n" +
        "{\"stage\":\"b\",\"step\":20,\"stage_step\":10,\"loss\":1.0,\"aux/router.load_balance\":0.01}\n" +
        "{\"stage\":\"b\",\"step\":20,\"stage_step\":10,\"eval_loss\":1.2,\"eval_accuracy\":0.75}\n";

    [Fact]
    public void Series_come_per_stage_on_stage_steps_or_over_the_run()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File(MetricsLog.FileName), TwoStages);
        var metrics = TrainingMetrics.Load(folder.Path);
        Assert.Equal(["a", "b"], metrics.Stages);
        Assert.Equal([(5, 1.5), (10, 1.0)], metrics.Series("loss", "b"));
        Assert.Equal([(5, 2.5), (10, 2.0), (15, 1.5), (20, 1.0)], metrics.Series("loss"));
        Assert.Equal((0.25, 0.75), (metrics.First("eval_accuracy"), metrics.Last("eval_accuracy")));
        Assert.Equal(0.01, metrics.Last("aux/router.load_balance"));
        Assert.Null(metrics.Last("loss", "c"));
        Assert.Equal(
            $"Training metrics ({Path.GetFileName(folder.Path)})\n" +
            "stage  steps  first loss  last loss  eval loss   eval accuracy\n" +
            "-----  -----  ----------  ---------  ---------  --------------\n" +
            "a         10      2.5000     2.0000     2.1000  25.0% -> 50.0%\n" +
            "b         10      1.5000     1.0000     1.2000           75.0%", metrics.ToText().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_bad_line_a_missing_file_and_an_unlogged_metric_are_named()
    {
        using var folder = new TempFolder();
        var file = folder.File(MetricsLog.FileName);
        Assert.Contains("no metrics file at", Assert.Throws<FileNotFoundException>(() => TrainingMetrics.Load(folder.Path)).Message);
        File.WriteAllText(file, "{\"stage\":\"a\",\"step\":1,\"stage_step\":1,\"loss\":2}\n{\"step\":2}\n");
        var error = Assert.Throws<InvalidDataException>(() => TrainingMetrics.Load(file));
        Assert.StartsWith($"{file}:2: not a metrics record", error.Message);
        File.WriteAllText(file, TwoStages);
        var unlogged = Assert.Throws<ArgumentException>(() => TrainingMetrics.Load(file).Plot(["grad_norm"]));
        Assert.Contains("none of grad_norm was logged; logged: aux/router.load_balance, eval_accuracy, eval_loss, loss, lr", unlogged.Message);
    }
}
