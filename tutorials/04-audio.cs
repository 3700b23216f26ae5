// Generated from 04-audio.ipynb by tools/NotebookTwins: edit the notebook, then run
//   dotnet run --project tools/NotebookTwins
// Run this twin from its folder: dotnet run 04-audio.cs

#:project ../src/Core/MMAdapt.Core.csproj
#:project ../src/Models/MMAdapt.Models.csproj
#:project ../src/Encoders/MMAdapt.Encoders.csproj
#:project ../src/Adapters/MMAdapt.Adapters.csproj
#:project ../src/Connectors/MMAdapt.Connectors.csproj
#:project ../src/Finetune/MMAdapt.Finetune.csproj

using System.Text.Json.Nodes;
using MMAdapt.Adapters.SoftMoa;
using MMAdapt.Core.Display;
using MMAdapt.Encoders;
using MMAdapt.Encoders.Audio;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Finetune.Training;
using static TorchSharp.torch;

// # 04 · Audio: Whisper and AST features, then a Soft-MoA that classifies sounds
// cell 2
// The libraries' net8.0 build (run `dotnet build MMAdapt.sln` in the repository root once) and their packages.
// TorchSharp-cpu brings libtorch for Linux, Windows and macOS; on Linux, libtorch-cpu-linux-x64 2.10.0 alone is enough.

// ## 1. Sounds with labels
// cell 5
var dataDir = Path.GetFullPath("runs/data");
if (!File.Exists(Path.Combine(dataDir, "train.jsonl")))
    SyntheticDataset.Generate(dataDir, new SyntheticDatasetOptions { Seed = 0, Count = 1200, TestCount = 60 });
var soundsTrain = Path.Combine(dataDir, "sounds_train.jsonl");
var soundsTest = Path.Combine(dataDir, "sounds_test.jsonl");
Console.WriteLine($"{File.ReadLines(soundsTrain).Count()} training clips, {File.ReadLines(soundsTest).Count()} test clips");

Notebook.Display(File.ReadLines(soundsTrain).First());

// ## 2. What the towers hear
// cell 7
var firstRow = JsonNode.Parse(File.ReadLines(soundsTrain).First())!;
var wav = Path.Combine(dataDir, (string)firstRow["audios"]![0]!);
var pitch = (string)firstRow["label_name"]!;
var clip = AudioFileReader.Read(wav, 16000);

Notebook.Display($"{Path.GetFileName(wav)} ({pitch}): {clip.Samples.Length} samples at {clip.SampleRate} Hz, {clip.DurationSeconds:F2} s, peak {clip.Samples.Max(Math.Abs):F3}");

// cell 9
var whisperFrontEnd = WhisperFeatureExtractor.FromPretrained("../models/tiny/audio");
var logMel = whisperFrontEnd.Extract(clip);

Notebook.Display(FeaturePlots.Spectrogram(logMel, $"Whisper log-mel of {Path.GetFileName(wav)} ({pitch}), [mel bins, frames]"));

// cell 11
var astFolder = "../tests/MMAdapt.Tests/Fixtures/ast";
var astFrontEnd = AstFeatureExtractor.FromPretrained(astFolder);
var fbank = astFrontEnd.Extract(clip);

Notebook.Display(FeaturePlots.Spectrogram(fbank.T, $"AST filterbank of {Path.GetFileName(wav)} ({pitch}), transposed to [mel bins, frames]"));

// cell 13
string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";
string ValueRange(Tensor t) => $"{t.min().item<float>():F2} .. {t.max().item<float>():F2} (mean {t.mean().item<float>():F2})";
var features = new DisplayTable("front end", "features", "values", "tower output") { Title = Path.GetFileName(wav) };
foreach (var (name, folder) in new[] { ("Whisper log-mel", "../models/tiny/audio"), ("AST fbank", astFolder) })
{
    using var pipeline = EncoderPipeline.Load(folder);
    var encoded = pipeline.Encode(wav);
    var inputKey = encoded.Keys.First(k => k.StartsWith("input_"));
    features.Add(name, $"{inputKey} {Shape(encoded[inputKey])}", ValueRange(encoded[inputKey]), $"last_hidden_state {Shape(encoded["last_hidden_state"])}");
}

Notebook.Display(features);

// ## 3. A Soft-MoA in the audio tower
// cell 15
var parts = new ModelSection
{
    Llm = new LlmSection { Path = "../models/tiny/llm" },
    Audio = new AudioSection { Path = "../models/tiny/audio" },
};
var model = MultimodalModel.Load(parts, device: "cpu");

Notebook.Display(model.Summary());

// cell 17
var moaOptions = new MoaOptions { Experts = 4, Slots = 2, Bottleneck = 16, Normalize = true, Placement = "parallel", Sublayers = ["attention", "mlp"] };
var mixtures = MoaAttacher.Attach(model.Audio!.Tower, "audio", moaOptions, name: "moa");
model.AttachHead("audio", labels: 3, HeadPooling.Mean, seed: 0);

Notebook.Display(string.Join(", ", mixtures.Keys));

// cell 19
var stage = new StageSettings
{
    Name = "classify",
    Objective = StageObjective.Classify,
    Train = ["adapter:moa", "head"],
    LearningRate = 3e-3,
    MaxSteps = 60,
    BatchSize = 8,
    WarmupSteps = 5,
    LogEvery = 5,
    EvalEvery = 20,
};
ParameterSelection.Apply(model.Components, ParameterSelection.Select(model.Components, stage.Train, stage.Name));

Notebook.Display(model.ParameterCounts());

// cell 21
var train = ConversationExamples.Load(model, soundsTrain);
var test = ConversationExamples.Load(model, soundsTest);
var trainer = new Trainer(model, "runs/04-audio", overwrite: true, console: Console.Out);
trainer.Train(stage, train, test);

Notebook.Display(Evaluation.Run(model, test, batchSize: 16, StageObjective.Classify));

// cell 22
Notebook.Display(trainer.Metrics());

// cell 23
Notebook.Display(trainer.Metrics().PlotLoss());

// ## 4. What did the adapter add?
// cell 25
var headOnly = MultimodalModel.Load(parts, device: "cpu");
headOnly.AttachHead("audio", labels: 3, HeadPooling.Mean, seed: 0);
var headTrainer = new Trainer(headOnly, "runs/04-audio-head", overwrite: true, console: Console.Out);
headTrainer.Train(stage with { Train = ["head"] }, ConversationExamples.Load(headOnly, soundsTrain), ConversationExamples.Load(headOnly, soundsTest));

// cell 26
string Accuracy(double? value) => value is double a ? DisplayTable.Percent(a) : "-";
var comparison = new DisplayTable("trained", "parameters>", "eval loss, step 20>", "accuracy, step 20>", "eval loss, step 60>", "accuracy, step 60>") { Title = "Soft-MoA + head vs head alone" };
foreach (var (name, run, counts) in new[] { ("Soft-MoA + head", trainer, model.ParameterCounts()), ("head alone", headTrainer, headOnly.ParameterCounts()) })
{
    var metrics = run.Metrics();
    var at20 = metrics.Rows.First(r => r.StageStep == 20 && r.Values.ContainsKey("eval_accuracy"));
    comparison.Add(name, DisplayTable.Count(counts.Trainable), DisplayTable.Number(at20.Values["eval_loss"]), Accuracy(at20.Values["eval_accuracy"]),
        DisplayTable.Number(metrics.Last("eval_loss") ?? double.NaN), Accuracy(metrics.Last("eval_accuracy")));
}

Notebook.Display(comparison);

// cell 27
Notebook.Display(TrainingPlots.Lines([("Soft-MoA + head", trainer.Metrics().Series("loss")), ("head alone", headTrainer.Metrics().Series("loss"))],
    "step", "training loss on sounds_train.jsonl", 800, 400));
