using System.Text.Json.Nodes;

namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// A whole multimodal fine-tuning run: the frozen backbones (<see cref="Model"/>), the connectors that feed encoder
/// features to the language model, the adapters and where they attach, the data, and the stages that train them in
/// turn. Read from YAML or JSON by <see cref="RecipeLoader.Load"/> (snake_case keys: <c>output_dir</c>,
/// <c>stages[0].max_steps</c>), checked by <see cref="RecipeValidator"/>, written back, every default filled in, by
/// <see cref="RecipeLoader.ToYaml"/>.
/// </summary>
/// <remarks>
/// Records compare by value, lists, maps and settings objects included; <see cref="Source"/> is left out, so a recipe
/// equals itself reloaded from its <see cref="RecipeLoader.ToYaml"/> text. Paths are absolute once loaded (relative
/// ones are resolved against the recipe file's folder). Settings objects (<see cref="Connectors"/>,
/// <see cref="AdapterSpec.Settings"/>, <see cref="StageInit.Settings"/>) are passed through to the layers that parse
/// them; treat them as read-only.
/// </remarks>
public sealed record Recipe
{
    private readonly Structural<IReadOnlyDictionary<string, JsonObject>> connectors = ValueEquality.Map<JsonObject>(null);
    private readonly Structural<IReadOnlyList<AdapterSpec>> adapters = ValueEquality.List<AdapterSpec>(null);
    private readonly Structural<IReadOnlyList<StageSpec>> stages = ValueEquality.List<StageSpec>(null);
    private readonly NotCompared<RecipeSource?> source;

    /// <summary><c>name</c>: the run's name, shown in logs and reports. Required.</summary>
    public string Name { get; init; } = "";

    /// <summary><c>output_dir</c>: where checkpoints, logs and <c>recipe.resolved.yaml</c> go. Required.</summary>
    public string OutputDir { get; init; } = "";

    /// <summary><c>seed</c>: seeds initialisation, shuffling and dropout (default 0).</summary>
    public long Seed { get; init; }

    /// <summary><c>device</c>: <c>auto</c> (the default: CUDA when available), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary><c>dtype</c>: the weights of the frozen parts, <c>fp32</c> (the default), <c>bf16</c> or <c>fp16</c>;
    /// trained parts stay in float32.</summary>
    public string Dtype { get; init; } = "fp32";

    /// <summary><c>model</c>: the frozen backbones.</summary>
    public ModelSection Model { get; init; } = new();

    /// <summary><c>connectors</c>: per modality (<c>image</c>, <c>audio</c>), the connector's settings object, passed
    /// through to the connector parser; <c>type</c> is required in each (<c>linear</c>, <c>mlp</c>, <c>resampler</c>,
    /// <c>window_resampler</c>, <c>downsample</c>, <c>moe</c>). In stages a connector is named <c>connector:image</c>.</summary>
    public IReadOnlyDictionary<string, JsonObject> Connectors { get => connectors.Value; init => connectors = ValueEquality.Map(value); }

    /// <summary><c>adapters</c>: the adapters, each with a unique name (in stages: <c>adapter:NAME</c>).</summary>
    public IReadOnlyList<AdapterSpec> Adapters { get => adapters.Value; init => adapters = ValueEquality.List(value); }

    /// <summary><c>data</c>: the datasets and how samples become token sequences.</summary>
    public DataSection Data { get; init; } = new();

    /// <summary><c>stages</c>: the training stages, run in order. At least one.</summary>
    public IReadOnlyList<StageSpec> Stages { get => stages.Value; init => stages = ValueEquality.List(value); }

    /// <summary>The training set of <paramref name="stage"/>: its own <c>data.train</c>, else the recipe's.</summary>
    public DatasetSpec TrainingSet(StageSpec stage) => stage.Data?.Train ?? Data.Train;

    /// <summary>The evaluation set of <paramref name="stage"/>: its own <c>data.eval</c>, else the recipe's (null: none).</summary>
    public DatasetSpec? EvaluationSet(StageSpec stage) => stage.Data?.Eval ?? Data.Eval;

    /// <summary>Where the recipe was read from, for messages (null for a recipe built in code). Not part of equality;
    /// after <c>with</c> changes its lines may no longer fit the changed parts.</summary>
    public RecipeSource? Source { get => source.Value; init => source = new(value); }
}
