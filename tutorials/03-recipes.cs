// Generated from 03-recipes.ipynb by tools/NotebookTwins: edit the notebook, then run
//   dotnet run --project tools/NotebookTwins
// Run this twin from its folder: dotnet run 03-recipes.cs

#:project ../src/Core/MMAdapt.Core.csproj
#:project ../src/Models/MMAdapt.Models.csproj
#:project ../src/Encoders/MMAdapt.Encoders.csproj
#:project ../src/Adapters/MMAdapt.Adapters.csproj
#:project ../src/Connectors/MMAdapt.Connectors.csproj
#:project ../src/Finetune/MMAdapt.Finetune.csproj

using System.Text.Json.Nodes;
using MMAdapt.Adapters.Targeting;
using MMAdapt.Connectors;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Finetune.Synthetic;
using MMAdapt.Finetune.Training;
using MMAdapt.Models.Generation;
using MMAdapt.Core.Display;

// # 3. Recipes: in code and in YAML
// cell 2
// The libraries' net8.0 build (run `dotnet build MMAdapt.sln` in the repository root once) and their packages.
// TorchSharp-cpu brings libtorch for Linux, Windows and macOS; on Linux, libtorch-cpu-linux-x64 2.10.0 alone is enough.

// ## A recipe in code
// cell 5
string Full(string path) => Path.GetFullPath(path);
var data = Full("runs/data");

var recipe = new Recipe
{
    Name = "tutorial-03",
    OutputDir = Full("runs/03-recipes/from-code"),
    Seed = 0,
    Device = "cpu",
    Model = new ModelSection
    {
        Llm = new() { Path = Full("../models/tiny/llm") },
        Vision = new() { Path = Full("../models/tiny/vision"), FeatureLayer = -1 },
        Audio = new() { Path = Full("../models/tiny/audio") },
    },
    Connectors = new Dictionary<string, JsonObject>
    {
        ["image"] = ConnectorFactory.Write(new DownsampleOptions { Mode = "avg", Factor = 8, Depth = 2 }),
        ["audio"] = ConnectorFactory.Write(new DownsampleOptions { Mode = "avg", Factor = 10, Depth = 2 }),
    },
    Adapters =
    [
        new AdapterSpec
        {
            Name = "lora",
            Type = "lora",
            Component = "llm",
            Targets = ModuleSelector.Of("q_proj", "v_proj"),
            Settings = new JsonObject { ["rank"] = 8, ["alpha"] = 16 },
        },
    ],
    Data = new DataSection
    {
        Train = new() { Path = Path.Combine(data, "train.jsonl") },
        Eval = new() { Path = Path.Combine(data, "test.jsonl") },
        Synth = new() { Seed = 0, Count = 1200, TestCount = 60 },
        MaxSeqLen = 160,
    },
    Stages =
    [
        new StageSpec
        {
            Name = "align",
            Train = ["connector:image", "connector:audio"],
            Lr = 5e-3,
            MaxSteps = 120,
            BatchSize = 16,
            WarmupSteps = 10,
            LogEvery = 20,
        },
        new StageSpec
        {
            Name = "tune",
            Train = ["adapter:lora", "connector:*"],
            Lr = 2e-3,
            LrGroups = new Dictionary<string, double> { ["connector:*"] = 5e-4 },
            MaxSteps = 120,
            BatchSize = 16,
            WarmupSteps = 10,
            LogEvery = 20,
            EvalAtStart = false,
        },
    ],
};

// cell 7
RecipeTrainer.EnsureSyntheticData(recipe, Console.Out);

Notebook.Display(RecipePlan.Of(recipe));

// ## The same recipe in YAML
// cell 9
var yamlFile = Full("runs/03-recipes/recipe.yaml");
Directory.CreateDirectory(Path.GetDirectoryName(yamlFile)!);
File.WriteAllText(yamlFile, RecipeLoader.ToYaml(recipe));

Notebook.Display(File.ReadAllText(yamlFile));

// cell 11
var sameRecipe = RecipeLoader.Load(yamlFile);
var fromYaml = RecipeLoader.Load(yamlFile, [$"output_dir={Full("runs/03-recipes/from-yaml")}", "stages.tune.lr=3e-3"]);

Notebook.Display($"loaded == built: {sameRecipe == recipe}; override: tune lr {recipe.Stages[1].Lr} -> {fromYaml.Stages[1].Lr}");

// cell 13
string Problem(Action load)
{
    try { load(); return "no problem"; }
    catch (RecipeException e) { return e.Message; }
}

Notebook.Display(Problem(() => RecipeLoader.Load(yamlFile, ["stages.tune.max_step=50"])));

// ## Run it
// cell 15
if (Directory.Exists(fromYaml.OutputDir))
    Directory.Delete(fromYaml.OutputDir, recursive: true);
var run = RecipeTrainer.Train(fromYaml, console: Console.Out);

// ## Metrics
// cell 17
var metrics = TrainingMetrics.Load(run.OutputDir);

Notebook.Display(metrics);

// cell 18
Notebook.Display(metrics.PlotLoss().Save(Path.Combine(run.OutputDir, "loss-all.png")));

// cell 19
Notebook.Display(metrics.Plot(["eval_accuracy", "eval_accuracy/image", "eval_accuracy/audio"]).Save(Path.Combine(run.OutputDir, "accuracy.png")));

// ## Reopen the trained model
// cell 21
var (trained, _, checkpoint) = TrainedModel.Load(run.OutputDir);
var sound = Path.Combine(data, "audio", "test_00002.wav");
var reply = trained.Generate("<audio> Is the sound steady, beeping, rising or falling?", [], [sound], new GenerationOptions { MaxNewTokens = 8, StopTokenIds = trained.StopTokenIds });

Notebook.Display($"{Path.GetRelativePath(run.OutputDir, checkpoint!)}: {reply}");

// cell 22
trained.Dispose();
