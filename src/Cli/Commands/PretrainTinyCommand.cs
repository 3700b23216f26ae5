using System.CommandLine;
using MMAdapt.Finetune.Pretraining;

namespace MMAdapt.Cli.Commands;

/// <summary>
/// <c>mmadapt pretrain-tiny --output DIR [--seed S] [--fast]</c>: rebuilds the quickstart's frozen base models (the
/// conversation LM, the vision tower, the audio tower) from their seed; the same seed gives identical files.
/// </summary>
internal static class PretrainTinyCommand
{
    public static Command Create(TextWriter output)
    {
        var folder = new Option<string>("--output", "-o") { Description = "Folder to write llm/, vision/ and audio/ to.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the data, weights and batches.", DefaultValueFactory = _ => 0 };
        var fast = new Option<bool>("--fast") { Description = "A few steps of each model (checks reproducibility; the models are not useful)." };
        var command = new Command("pretrain-tiny", "Pretrain the quickstart's tiny base models: a language model, a vision tower and an audio tower.")
        {
            folder, seed, fast,
        };
        command.SetAction(parse =>
        {
            var target = parse.GetValue(folder)!;
            var report = TinyBaseModels.Pretrain(target, parse.GetValue(seed), parse.GetValue(fast), output);
            output.WriteLine($"llm:    {report.Llm.Parameters:N0} parameters, loss {report.Llm.FirstLoss:F3} -> {report.Llm.FinalLoss:F3}");
            foreach (var (name, tower) in new[] { ("vision", report.Vision), ("audio", report.Audio) })
                output.WriteLine($"{name + ":",-7} {tower.Parameters:N0} parameters, held-out accuracy " +
                                 string.Join(", ", tower.HeldOutAccuracy.GroupBy(a => a.Attribute).Select(g => $"{g.Key} {g.Max(a => a.Accuracy):F3}")));
            output.WriteLine($"wrote {Path.GetFullPath(target)}");
            return 0;
        });
        return command;
    }
}
