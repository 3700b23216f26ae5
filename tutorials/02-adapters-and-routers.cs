// Generated from 02-adapters-and-routers.ipynb by tools/NotebookTwins: edit the notebook, then run
//   dotnet run --project tools/NotebookTwins
// Run this twin from its folder: dotnet run 02-adapters-and-routers.cs

#:project ../src/Core/MMAdapt.Core.csproj
#:project ../src/Models/MMAdapt.Models.csproj
#:project ../src/Encoders/MMAdapt.Encoders.csproj
#:project ../src/Adapters/MMAdapt.Adapters.csproj
#:project ../src/Connectors/MMAdapt.Connectors.csproj
#:project ../src/Finetune/MMAdapt.Finetune.csproj

using MMAdapt.Adapters.Lora;
using MMAdapt.Adapters.Mixtures;
using MMAdapt.Adapters.Routing;
using MMAdapt.Adapters.SoftMoa;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Adapters.Training;
using MMAdapt.Connectors;
using MMAdapt.Core.Display;
using MMAdapt.Finetune.Data;
using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Finetune.Training;

// # 2. Adapters and routers
// cell 2
// The libraries' net8.0 build (run `dotnet build MMAdapt.sln` in the repository root once) and their packages.
// TorchSharp-cpu brings libtorch for Linux, Windows and macOS; on Linux, libtorch-cpu-linux-x64 2.10.0 alone is enough.

// ## A shared starting point
// cell 5
var data = Path.GetFullPath("runs/data");
if (!File.Exists(Path.Combine(data, "train.jsonl")))
    SyntheticDataset.Generate(data, new SyntheticDatasetOptions { Seed = 0, Count = 1200, TestCount = 60 });
var trainRows = ConversationDataset.Load(Path.Combine(data, "train.jsonl"));
var testRows = ConversationDataset.Load(Path.Combine(data, "test.jsonl"));

MultimodalModel LoadModel() => MultimodalModel.Load(
    new ModelSection
    {
        Llm = new() { Path = "../models/tiny/llm" },
        Vision = new() { Path = "../models/tiny/vision", FeatureLayer = -1 },
        Audio = new() { Path = "../models/tiny/audio" },
    },
    imageConnector: new DownsampleOptions { Mode = "avg", Factor = 8, Depth = 2 },
    audioConnector: new DownsampleOptions { Mode = "avg", Factor = 10, Depth = 2 },
    maxSeqLen: 160, device: "cpu");

// cell 7
var aligning = LoadModel();
var alignTrainer = new Trainer(aligning, "runs/02-adapters-and-routers/align", console: Console.Out, overwrite: true);
var aligned = alignTrainer.Train(new StageSettings
{
    Name = "align",
    Train = ["connector:image", "connector:audio"],
    LearningRate = 5e-3,
    MaxSteps = 150,
    BatchSize = 16,
    WarmupSteps = 10,
    LogEvery = 50,
}, new ConversationExamples(aligning, trainRows), new ConversationExamples(aligning, testRows));
aligning.Dispose();

Notebook.Display(alignTrainer.Metrics());

// cell 9
MultimodalModel LoadAligned()
{
    var model = LoadModel();
    TrainingCheckpoint.LoadWeights(aligned.FinalCheckpoint, ParameterSelection.All(model.Components));
    foreach (var (_, part) in model.Components)
        Trainability.FreezeAll(part);
    return model;
}

var comparison = new List<(string Adapter, string Where, long Trainable, double? Loss, double? Accuracy)>
{
    ("none (aligned connectors)", "-", 0, alignTrainer.Metrics().Last("eval_loss"), alignTrainer.Metrics().Last("eval_accuracy")),
};

void TrainVariant(MultimodalModel model, string adapter)
{
    var trainer = new Trainer(model, $"runs/02-adapters-and-routers/{adapter}", console: Console.Out, overwrite: true);
    trainer.Train(new StageSettings
    {
        Name = adapter,
        Train = [$"adapter:{adapter}"],
        LearningRate = 2e-3,
        MaxSteps = 100,
        BatchSize = 16,
        WarmupSteps = 10,
        LogEvery = 50,
    }, new ConversationExamples(model, trainRows));
}

EvaluationResult Evaluate(MultimodalModel model, string adapter, string where)
{
    var result = Evaluation.Run(model, new ConversationExamples(model, testRows), batchSize: 16);
    comparison.Add((adapter, where, model.ParameterCounts().Trainable, result.Loss, result.Accuracy));
    return result;
}

// ## LoRA
// cell 11
var mlp = ModuleSelector.Of("gate_proj", "up_proj", "down_proj");
var loraModel = LoadAligned();
LoraAttacher.Attach(loraModel.Llm, "llm", new LoraConfig { Rank = 8, Alpha = 16, TargetModules = mlp }, adapterName: "lora");

Notebook.Display(loraModel.ParameterCounts());

// cell 12
TrainVariant(loraModel, "lora");
var loraResult = Evaluate(loraModel, "lora", "llm MLP");
loraModel.Dispose();

Notebook.Display(loraResult);

// ## A mixture of LoRA experts under two routers
// cell 14
var topkStatistics = new RoutingStatistics();
var topkModel = LoadAligned();
MixtureAttacher.Attach(topkModel.Llm, "llm",
    new TargetSelection { Targets = mlp },
    new MixtureOptions
    {
        Experts = 4,
        Rank = 8,
        Alpha = 16,
        Strategy = RoutingStrategies.Parse("softmax_topk:k=2,renorm=true"),
        AuxLosses = [AuxLosses.Parse("load_balance:coef=0.01")],
    },
    adapterName: "topk", statistics: topkStatistics);

Notebook.Display(topkModel.ParameterCounts());

// cell 15
TrainVariant(topkModel, "topk");
var topkRouting = topkStatistics.Snapshot();
var topkResult = Evaluate(topkModel, "topk", "llm MLP");
topkModel.Dispose();
topkStatistics.Dispose();

Notebook.Display(topkResult);

// cell 17
Notebook.Display(topkRouting.Filter("layers.3."));

// cell 19
var choiceStatistics = new RoutingStatistics();
var choiceModel = LoadAligned();
MixtureAttacher.Attach(choiceModel.Llm, "llm",
    new TargetSelection { Targets = mlp },
    new MixtureOptions { Experts = 4, Rank = 8, Alpha = 16, Strategy = RoutingStrategies.Parse("expert_choice:cf=2") },
    adapterName: "choice", statistics: choiceStatistics);
TrainVariant(choiceModel, "choice");
var choiceRouting = choiceStatistics.Snapshot();
var choiceResult = Evaluate(choiceModel, "choice", "llm MLP");
choiceModel.Dispose();
choiceStatistics.Dispose();

Notebook.Display(choiceResult);

// cell 21
Notebook.Display(choiceRouting.Filter("layers.3."));

// cell 23
Notebook.Display(topkRouting.Filter("layers.3.mlp.down_proj").ByModality());

// cell 24
Notebook.Display(choiceRouting.Filter("layers.3.mlp.down_proj").ByModality());

// cell 26
Notebook.Display(string.Join(", ", RoutingStrategies.Names));

// ## Soft-MoA in the towers
// cell 28
var moaModel = LoadAligned();
var moaOptions = new MoaOptions { Experts = 4, Slots = 2, Bottleneck = 16, Normalize = true, Placement = "parallel", Sublayers = ["attention", "mlp"] };
MoaAttacher.Attach(moaModel.Vision!.Tower, "vision", moaOptions, name: "moa");
MoaAttacher.Attach(moaModel.Audio!.Tower, "audio", moaOptions, name: "moa");

Notebook.Display(moaModel.ParameterCounts());

// cell 29
TrainVariant(moaModel, "moa");
var moaResult = Evaluate(moaModel, "moa", "vision + audio towers");
moaModel.Dispose();

Notebook.Display(moaResult);

// ## Side by side
// cell 31
var table = new DisplayTable("adapter", "where", "trainable>", "eval loss>", "eval accuracy>") { Title = "Adapters after 100 steps" };
foreach (var row in comparison)
    table.Add(row.Adapter, row.Where, DisplayTable.Count(row.Trainable),
        row.Loss is double loss ? DisplayTable.Number(loss) : "-", row.Accuracy is double accuracy ? DisplayTable.Percent(accuracy) : "-");

Notebook.Display(table);
