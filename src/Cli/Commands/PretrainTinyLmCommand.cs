using System.CommandLine;
using MMAdapt.Finetune.Pretraining;

namespace MMAdapt.Cli.Commands;

/// <summary>
/// <c>mmadapt pretrain-tiny-lm --output DIR [--steps N] [--seed S]</c>: rebuilds the repository's tiny demo
/// language model (tokenizer, weights, configs) from its seed; the same options give identical files.
/// </summary>
internal static class PretrainTinyLmCommand
{
    public static Command Create(TextWriter output)
    {
        var folder = new Option<string>("--output", "-o") { Description = "Folder to write the checkpoint to.", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps.", DefaultValueFactory = _ => new TinyLanguageModelOptions().Steps };
        var seed = new Option<int>("--seed") { Description = "Seed of the corpus, weights and batches.", DefaultValueFactory = _ => 0 };
        var command = new Command("pretrain-tiny-lm", "Pretrain the tiny demo language model (a Llama-architecture LM about coloured shapes).")
        {
            folder, steps, seed,
        };
        command.SetAction(parse =>
        {
            int stepCount = parse.GetValue(steps);
            if (stepCount <= 0)
                throw new ArgumentException($"--steps must be positive, got {stepCount}.");
            var options = new TinyLanguageModelOptions { Steps = stepCount, Seed = parse.GetValue(seed) };
            var report = TinyLanguageModelPretrainer.Pretrain(parse.GetValue(folder)!, options, output.WriteLine);
            output.WriteLine($"parameters: {report.Parameters}");
            output.WriteLine($"loss: {report.FirstLoss:F4} -> {report.FinalLoss:F4}");
            output.WriteLine($"wrote {report.Folder}");
            return 0;
        });
        return command;
    }
}
