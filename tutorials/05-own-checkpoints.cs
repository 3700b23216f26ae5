// Generated from 05-own-checkpoints.ipynb by tools/NotebookTwins: edit the notebook, then run
//   dotnet run --project tools/NotebookTwins
// Run this twin from its folder: dotnet run 05-own-checkpoints.cs

#:project ../src/Core/MMAdapt.Core.csproj
#:project ../src/Models/MMAdapt.Models.csproj
#:project ../src/Encoders/MMAdapt.Encoders.csproj
#:project ../src/Adapters/MMAdapt.Adapters.csproj
#:project ../src/Connectors/MMAdapt.Connectors.csproj
#:project ../src/Finetune/MMAdapt.Finetune.csproj

using MMAdapt.Core.Checkpoints;
using MMAdapt.Finetune.Recipes;
using MMAdapt.Finetune.Running;
using MMAdapt.Models;
using MMAdapt.Models.Generation;
using MMAdapt.Core.Display;

// # 5. Bring your own Hugging Face checkpoints
// cell 2
// The libraries' net8.0 build (run `dotnet build MMAdapt.sln` in the repository root once) and their packages.
// TorchSharp-cpu brings libtorch for Linux, Windows and macOS; on Linux, libtorch-cpu-linux-x64 2.10.0 alone is enough.

// ## Inspect a folder
// cell 5
var llmSummary = CheckpointSummary.Read("../models/tiny/llm");

Notebook.Display(llmSummary);

// cell 6
Notebook.Display(llmSummary.TensorTable("layers.0."));

// cell 8
using (var lm = LanguageModel.Load("../models/tiny/llm"))
    Console.WriteLine(lm.Complete("the sound is", new GenerationOptions { MaxNewTokens = 6 }));

// ## Plan a real recipe from config files
// cell 10
var llava = RecipeLoader.Load("../recipes/llava-1.5-7b-lora.yaml", [$"output_dir={Path.GetFullPath("runs/05-llava")}"]);

Notebook.Display(RecipePlan.Of(llava));

// ## Point a recipe at your folders
// cell 12
var siglipFolder = Path.GetFullPath("../tests/MMAdapt.Tests/Fixtures/siglip_vision");
var withSiglip = RecipeLoader.Load("../recipes/quickstart.yaml",
    [$"model.vision.path={siglipFolder}", "model.vision.feature_layer=-2", $"output_dir={Path.GetFullPath("runs/05-siglip")}"]);

Notebook.Display(CheckpointSummary.Read(siglipFolder));

// cell 13
Notebook.Display(RecipePlan.Of(withSiglip));

// cell 15
using (var model = RecipeModelBuilder.Build(withSiglip))
{
    var picture = Path.GetFullPath("../samples/images/test_00000.png");
    var reply = model.Generate("<image> What colour is the shape?", [picture], [], new GenerationOptions { MaxNewTokens = 6, StopTokenIds = model.StopTokenIds });
    Console.WriteLine(model.Summary());
    Console.WriteLine($"untrained answer: {reply}");
}
