using System.CommandLine;
using MMAdapt.Finetune.Pretraining;

namespace MMAdapt.Cli.Commands;

/// <summary>
/// <c>mmadapt tiny-checkpoints --tokenizer DIR --output DIR [--seed S]</c>: writes tiny random-weight LLM, vision tower
/// and Whisper encoder folders in Hugging Face layout (what <c>recipes/smoke.yaml</c> trains on); the same options give
/// identical files.
/// </summary>
internal static class TinyCheckpointsCommand
{
    public static Command Create(TextWriter output)
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "Folder with tokenizer.json and tokenizer_config.json (e.g. a 'data synth' folder's tokenizer/).", Required = true };
        var folder = new Option<string>("--output", "-o") { Description = "Folder to write llm/, vision/ and audio/ to.", Required = true };
        var seed = new Option<long>("--seed") { Description = "Seed of the random weights.", DefaultValueFactory = _ => 0 };
        var command = new Command("tiny-checkpoints", "Write tiny random-weight LLM, CLIP-style and Whisper-style checkpoints for smoke runs.")
        {
            tokenizer, folder, seed,
        };
        command.SetAction(parse =>
        {
            var tokenizerFolder = parse.GetValue(tokenizer)!;
            if (!File.Exists(Path.Combine(tokenizerFolder, "tokenizer.json")))
                throw new FileNotFoundException($"--tokenizer: {Path.Combine(tokenizerFolder, "tokenizer.json")} does not exist.");
            var written = TinyCheckpoints.Write(parse.GetValue(folder)!, tokenizerFolder, parse.GetValue(seed));
            output.WriteLine($"wrote {written.Llm}, {written.Vision}, {written.Audio}");
            return 0;
        });
        return command;
    }
}
