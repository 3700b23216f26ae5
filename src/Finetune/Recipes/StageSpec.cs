using MMAdapt.Finetune.Training;
using MMAdapt.Finetune.Multimodal;
namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// One entry of <c>stages</c>: which parts train (<see cref="Train"/>), on what objective, for how long and at what
/// learning rate. Stages run in order; each starts from the weights the previous one ended with, unless
/// <see cref="Init"/> says otherwise.
/// </summary>
public sealed record StageSpec
{
    private readonly Structural<IReadOnlyList<string>> train = ValueEquality.List<string>(null);
    private readonly Structural<IReadOnlyDictionary<string, double>> lrGroups = ValueEquality.Map<double>(null);
    private readonly Structural<IReadOnlyDictionary<string, bool>> gates = ValueEquality.Map<bool>(null);
    private readonly Structural<IReadOnlyDictionary<string, StageInit>> init = ValueEquality.Map<StageInit>(null);
    private readonly Structural<IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonObject>> connectors = ValueEquality.Map<System.Text.Json.Nodes.JsonObject>(null);

    /// <summary><c>name</c>: unique among the stages (checkpoints go to <c>output_dir/NAME</c>). Required.</summary>
    public string Name { get; init; } = "";

    /// <summary><c>objective</c>: <c>lm</c> (the default) or <c>classify</c> (then <see cref="Head"/> is required).</summary>
    public StageObjective Objective { get; init; } = StageObjective.LanguageModel;

    /// <summary><c>head</c>: the classifier of a <c>classify</c> stage; null otherwise.</summary>
    public ClassifyHead? Head { get; init; }

    /// <summary><c>data</c>: this stage's own training and evaluation sets (LLaVA aligns on captions, then tunes on
    /// instructions); what it leaves out comes from the recipe's <c>data</c>. Null (the default): the recipe's sets.</summary>
    public StageData? Data { get; init; }

    /// <summary><c>connectors</c>: per modality, a connector this stage uses in place of the recipe's (CuMo aligns a
    /// dense MLP, then upcycles it into the recipe's MoE connector with <c>init.connector:image.upcycle_from</c>).
    /// Later stages go back to the recipe's connector unless they name their own (default: none).</summary>
    public IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonObject> Connectors { get => connectors.Value; init => connectors = ValueEquality.Map(value); }

    /// <summary><c>train</c>: what trains, everything else frozen: components (<c>llm</c>, <c>vision</c>, <c>audio</c>,
    /// <c>connector:NAME</c>, <c>adapter:NAME</c>, <c>head</c>), globs over them (<c>connector:*</c>), or globs over
    /// parameter names (<c>llm.*.adapters.moe.*</c>). At least one.</summary>
    public IReadOnlyList<string> Train { get => train.Value; init => train = ValueEquality.List(value); }

    /// <summary><c>lr</c>: the peak learning rate (AdamW; default 1e-4).</summary>
    public double Lr { get; init; } = 1e-4;

    /// <summary><c>lr_groups</c>: per glob (over component names or parameter names), a peak learning rate that
    /// replaces <see cref="Lr"/> for what it matches; the first matching glob wins (default: none).</summary>
    public IReadOnlyDictionary<string, double> LrGroups { get => lrGroups.Value; init => lrGroups = ValueEquality.Map(value); }

    /// <summary><c>epochs</c>: passes over the training set; null (the default) when <see cref="MaxSteps"/> is given.</summary>
    public int? Epochs { get; init; }

    /// <summary><c>max_steps</c>: optimizer steps; with <see cref="Epochs"/> too, the stage stops at whichever comes
    /// first. One of the two is required.</summary>
    public int? MaxSteps { get; init; }

    /// <summary><c>batch_size</c>: samples per forward pass (default 1).</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary><c>grad_accum</c>: forward passes per optimizer step (default 1).</summary>
    public int GradAccum { get; init; } = 1;

    /// <summary><c>warmup_steps</c>: steps of linear warm-up from zero to the peak (default 0).</summary>
    public int WarmupSteps { get; init; }

    /// <summary><c>scheduler</c>: <c>cosine</c> (the default), <c>linear</c> or <c>constant</c> after warm-up.</summary>
    public ScheduleKind Scheduler { get; init; } = ScheduleKind.Cosine;

    /// <summary><c>weight_decay</c>: AdamW's decoupled weight decay (default 0).</summary>
    public double WeightDecay { get; init; }

    /// <summary><c>clip</c>: the gradient-norm clip (default 1.0); null: no clipping.</summary>
    public double? Clip { get; init; } = 1.0;

    /// <summary><c>log_every</c>: steps between logged losses (default 10).</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary><c>eval_every</c>: steps between evaluations on <c>data.eval</c>; 0 (the default): only at the stage's
    /// start and end.</summary>
    public int EvalEvery { get; init; }

    /// <summary><c>eval_at_start</c>: evaluate before the stage's first step (default true; false skips what would repeat
    /// the evaluation that ended the stage before).</summary>
    public bool EvalAtStart { get; init; } = true;

    /// <summary><c>save_every</c>: steps between checkpoints; 0 (the default): only the stage's final checkpoint.</summary>
    public int SaveEvery { get; init; }

    /// <summary><c>keep_last</c>: periodic checkpoints kept (the final one is always kept; default 2).</summary>
    public int KeepLast { get; init; } = 2;

    /// <summary><c>aux_loss_weight</c>: the factor on the routers' auxiliary losses added to the objective (default 1).</summary>
    public double AuxLossWeight { get; init; } = 1.0;

    /// <summary><c>gates</c>: per adapter name, whether its gate is on during this stage (PILL's MAG off while the
    /// connectors align); adapters not named keep their gates on (default: none named).</summary>
    public IReadOnlyDictionary<string, bool> Gates { get => gates.Value; init => gates = ValueEquality.Map(value); }

    /// <summary><c>init</c>: per component (<c>connector:image</c>, <c>adapter:moe</c>), where its weights start at
    /// this stage instead of where the previous stage left them (default: none).</summary>
    public IReadOnlyDictionary<string, StageInit> Init { get => init.Value; init => init = ValueEquality.Map(value); }
}
