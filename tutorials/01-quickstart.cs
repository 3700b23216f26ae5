// Generated from 01-quickstart.ipynb by tools/NotebookTwins: edit the notebook, then run
//   dotnet run --project tools/NotebookTwins
// Run this twin from its folder: dotnet run 01-quickstart.cs

#:project ../src/Core/MMAdapt.Core.csproj
#:project ../src/Models/MMAdapt.Models.csproj
#:project ../src/Encoders/MMAdapt.Encoders.csproj
#:project ../src/Adapters/MMAdapt.Adapters.csproj
#:project ../src/Connectors/MMAdapt.Connectors.csproj
#:project ../src/Finetune/MMAdapt.Finetune.csproj

using System.Text.Json.Nodes;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Routing;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Connectors;
using MMAdapt.Core.Display;
using MMAdapt.Core.Modules;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Finetune.Training;
using MMAdapt.Models.Generation;

// # 1. Quickstart through the library API
// cell 2
// The libraries' net8.0 build (run `dotnet build MMAdapt.sln` in the repository root once) and their packages.
// TorchSharp-cpu brings libtorch for Linux, Windows and macOS; on Linux, libtorch-cpu-linux-x64 2.10.0 alone is enough.

// ## Data
// cell 5
var data = Path.GetFullPath("runs/data");
if (!File.Exists(Path.Combine(data, "train.jsonl")))
    SyntheticDataset.Generate(data, new SyntheticDatasetOptions { Seed = 0, Count = 1200, TestCount = 60 });
Notebook.Display(File.ReadLines(Path.Combine(data, "test.jsonl")).First());

// ## The model
// cell 7
var statistics = new RoutingStatistics();
var model = MultimodalModel.Load(
    new ModelSection
    {
        Llm = new() { Path = "../models/tiny/llm" },
        Vision = new() { Path = "../models/tiny/vision", FeatureLayer = -1 },
        Audio = new() { Path = "../models/tiny/audio" },
    },
    imageConnector: new DownsampleOptions { Mode = "avg", Factor = 8, Depth = 2 },
    audioConnector: new DownsampleOptions { Mode = "avg", Factor = 10, Depth = 2 },
    maxSeqLen: 160, device: "cpu");

Notebook.Display(model.Summary());

// cell 9
var answer = new GenerationOptions { MaxNewTokens = 8, StopTokenIds = model.StopTokenIds };
string Ask(string prompt, string[] images, string[] sounds) => model.Generate(prompt, images, sounds, answer);
var heldOut = File.ReadLines(Path.Combine(data, "test.jsonl")).Select(line => JsonNode.Parse(line)!).ToList();

DisplayTable AskAboutMedia()
{
    var table = new DisplayTable("file", "question", "answer", "truth");
    foreach (var row in heldOut.Where(r => r["labels"]!["image"] is not null).Take(5))
    {
        var file = row["images"]![0]!.GetValue<string>();
        table.Add(file, "What kind of shape is in the picture?", Ask("<image> What kind of shape is in the picture?", [Path.Combine(data, file)], []),
            row["labels"]!["image"]!["shape"]!.GetValue<string>() + ".");
    }
    foreach (var row in heldOut.Where(r => r["labels"]!["audio"] is not null).Take(3))
    {
        var file = row["audios"]![0]!.GetValue<string>();
        table.Add(file, "Steady, beeping, rising or falling?", Ask("<audio> Is the sound steady, beeping, rising or falling?", [], [Path.Combine(data, file)]),
            row["labels"]!["audio"]!["pattern"]!.GetValue<string>() + ".");
    }
    return table;
}

Notebook.Display(AskAboutMedia());

// cell 11
var train = ConversationExamples.Load(model, Path.Combine(data, "train.jsonl"));
var test = ConversationExamples.Load(model, Path.Combine(data, "test.jsonl"));
var before = Evaluation.Run(model, test, batchSize: 16);

Notebook.Display(before);

// ## Stage 1: align the connectors
// cell 13
var trainer = new Trainer(model, "runs/01-quickstart", seed: 0, console: Console.Out, overwrite: true);
trainer.Train(new StageSettings
{
    Name = "align",
    Train = ["connector:image", "connector:audio"],
    LearningRate = 5e-3,
    MaxSteps = 200,
    BatchSize = 16,
    WarmupSteps = 10,
    LogEvery = 25,
}, train, test);

// ## Stage 2: a mixture of LoRA experts
// cell 15
var moe = MixtureAttacher.Attach(model.Llm, "llm",
    new TargetSelection { Targets = ModuleSelector.AllLinearLayers },
    new MixtureOptions
    {
        Experts = 6,
        Rank = 8,
        Alpha = 16,
        Strategy = RoutingStrategies.Parse("softmax_topk:k=2,renorm=true"),
        ModalityGroups = [(Modality.Text, 2), (Modality.Image, 2), (Modality.Audio, 2)],
        AuxLosses = [AuxLosses.Parse("load_balance:coef=0.01")],
    },
    adapterName: "moe", statistics: statistics);

Notebook.Display(model.ParameterCounts());

// cell 17
statistics.Reset();
trainer.Train(new StageSettings
{
    Name = "experts",
    Train = ["adapter:moe", "connector:*"],
    LearningRate = 2e-3,
    LearningRateGroups = [("connector:*", 5e-4)],
    MaxSteps = 250,
    BatchSize = 16,
    WarmupSteps = 10,
    LogEvery = 25,
    EvalAtStart = false,
}, train, test);

// ## What it learned
// cell 19
var after = Evaluation.Run(model, test, batchSize: 16);

Notebook.Display(after);

// cell 20
Notebook.Display(AskAboutMedia());

// cell 22
var metrics = trainer.Metrics();

Notebook.Display(metrics);

// cell 23
Notebook.Display(metrics.PlotLoss().Save("runs/01-quickstart/loss.png"));

// cell 25
Notebook.Display(statistics.Snapshot().Filter("layers.3.mlp").ByModality());

// cell 27
Notebook.Display(TrainingPlots.RoutingLoad(statistics.Snapshot(), Modality.Image)!.Save("runs/01-quickstart/experts_image.png"));

// cell 28
model.Dispose();
