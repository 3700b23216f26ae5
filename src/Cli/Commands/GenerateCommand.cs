using System.CommandLine;
using System.Globalization;
using MMAdapt.Adapters.Peft;
using MMAdapt.Core.Devices;
using MMAdapt.Finetune.Running;
using MMAdapt.Models;
using MMAdapt.Models.Chat;
using MMAdapt.Models.Generation;

namespace MMAdapt.Cli.Commands;

/// <summary>
/// <c>mmadapt generate --model DIR [--adapter DIR] (--prompt TEXT [--chat-template NAME] | --input-ids 1,2,3)
/// [--max-new-tokens N] [--greedy | --temperature T --top-p P --seed S] [--dtype fp32|bf16] [--device auto|cpu|cuda]</c>,
/// or <c>mmadapt generate --model OUTPUT_DIR --prompt TEXT [--image FILE]... [--audio FILE]...</c> on a trained multimodal
/// run (the folder <c>mmadapt train</c> wrote).
/// </summary>
internal static class GenerateCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model", "-m") { Description = "Checkpoint folder (config.json, safetensors, tokenizer), or a training output folder.", Required = true };
        var images = new Option<string[]>("--image") { Description = "Image file(s) for a trained multimodal run; an <image> placeholder each (prepended when the prompt has none).", AllowMultipleArgumentsPerToken = false };
        var audios = new Option<string[]>("--audio") { Description = "Audio file(s) for a trained multimodal run (<audio> placeholders).", AllowMultipleArgumentsPerToken = false };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT adapter folder (adapter_config.json + adapter_model.safetensors: LoRA, DoRA, IA3) applied to the model." };
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Text prompt (tokenised, chat template applied when the model has one)." };
        var template = new Option<string?>("--chat-template") { Description = $"Chat template: {string.Join(", ", ChatTemplate.Names)}, or none for plain completion." };
        var inputIds = new Option<string?>("--input-ids") { Description = "Comma-separated token ids fed as they are (no BOS, no template); prints the generated ids." };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 32 };
        var greedy = new Option<bool>("--greedy") { Description = "Greedy decoding (the default)." };
        var temperature = new Option<double?>("--temperature") { Description = "Sample with this temperature (> 0) instead of greedy decoding." };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling cut-off in (0, 1].", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long>("--seed") { Description = "Sampling seed.", DefaultValueFactory = _ => 0 };
        var dtype = new Option<string>("--dtype") { Description = "Weight dtype: fp32 or bf16.", DefaultValueFactory = _ => "fp32" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var command = new Command("generate", "Generate text (or token ids) from a checkpoint folder.")
        {
            model, adapter, prompt, template, inputIds, maxNewTokens, greedy, temperature, topP, seed, dtype, device, images, audios,
        };
        command.SetAction(parse =>
        {
            var promptText = parse.GetValue(prompt);
            var ids = parse.GetValue(inputIds);
            if ((promptText is null) == (ids is null))
                throw new ArgumentException("give exactly one of --prompt or --input-ids.");
            if (ids is not null && parse.GetValue(template) is not null)
                throw new ArgumentException("--chat-template applies to --prompt only; --input-ids are fed as they are.");
            var sampleTemperature = parse.GetValue(temperature);
            if (parse.GetValue(greedy) && sampleTemperature is not null)
                throw new ArgumentException("choose either --greedy or --temperature, not both.");
            if (sampleTemperature is <= 0)
                throw new ArgumentException($"--temperature must be > 0, got {sampleTemperature}; use --greedy for greedy decoding.");
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxNewTokens),
                Temperature = sampleTemperature ?? 0,
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
            };
            options.Validate();
            var parsedIds = ids is null ? null : ParseIds(ids);
            var resolvedDtype = DeviceChoice.ResolveDtype(parse.GetValue(dtype));
            var resolvedDevice = DeviceChoice.ResolveDevice(parse.GetValue(device));

            var imageFiles = parse.GetValue(images) ?? [];
            var audioFiles = parse.GetValue(audios) ?? [];
            if (TrainedModel.IsOutputFolder(parse.GetValue(model)!))
            {
                if (promptText is null || parse.GetValue(adapter) is not null || parse.GetValue(template) is not null)
                    throw new ArgumentException("a training output folder takes --prompt (with --image/--audio); its recipe fixes the adapters and chat template.");
                var (trained, _, _) = TrainedModel.Load(parse.GetValue(model)!);
                using (trained)
                    output.WriteLine(trained.Generate(promptText, imageFiles, audioFiles, options));
                return 0;
            }
            if (imageFiles.Length + audioFiles.Length > 0)
                throw new ArgumentException($"--image/--audio need a trained multimodal run as --model (a folder 'mmadapt train' wrote); {parse.GetValue(model)} is a plain checkpoint.");
            using var lm = LanguageModel.Load(parse.GetValue(model)!, resolvedDtype, resolvedDevice);
            if (parse.GetValue(adapter) is { } adapterFolder)
                PeftAdapter.Load(lm.Decoder, adapterFolder);
            if (parsedIds is not null)
            {
                foreach (var id in parsedIds)
                    if (id >= lm.Decoder.VocabSize)
                        throw new ArgumentException($"--input-ids: token id {id} is outside the vocabulary (size {lm.Decoder.VocabSize}).");
                output.WriteLine(string.Join(",", lm.Generate(parsedIds, options)));
                return 0;
            }
            var templateName = parse.GetValue(template);
            var chat = templateName == "none" ? null : lm.ResolveChatTemplate(templateName);
            var reply = chat is null
                ? lm.Complete(promptText!, options)
                : lm.Chat([new ChatMessage("user", promptText!)], options, chat);
            output.WriteLine(reply);
            return 0;
        });
        return command;
    }

    private static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
                throw new ArgumentException($"--input-ids: '{parts[i]}' (item {i + 1}) is not a non-negative integer token id.");
        if (ids.Length == 0)
            throw new ArgumentException("--input-ids: give at least one id.");
        return ids;
    }
}
