using System.Text.Json.Nodes;
using static MMAdapt.Finetune.Recipes.Schema.ScalarCodecs;

using MMAdapt.Finetune.Training;
using MMAdapt.Finetune.Multimodal;
namespace MMAdapt.Finetune.Recipes.Schema;

/// <summary>
/// The recipe's keys, one table per record: the snake_case key, its type, and the property it sets. Loading, the
/// checks of override and environment keys, and <c>ToYaml</c> all read these tables, so a key exists in one place.
/// Defaults live on the records themselves.
/// </summary>
internal static class RecipeSchema
{
    private static readonly Codec<string?> OptionalString = new OptionalCodec<string>(Text);
    private static readonly Codec<string?> OptionalPath = new OptionalCodec<string>(FilePath);
    private static readonly Codec<int?> OptionalInt = new OptionalValueCodec<int>(Whole);

    private static readonly RecordCodec<LlmSection> Llm = new(() => new(), new()
    {
        { "path", FilePath, s => s.Path, (s, v) => s with { Path = v } },
        { "chat_template", OptionalString, s => s.ChatTemplate, (s, v) => s with { ChatTemplate = v } },
    });

    private static readonly RecordCodec<VisionSection> Vision = new(() => new(), new()
    {
        { "path", FilePath, s => s.Path, (s, v) => s with { Path = v } },
        { "feature_layer", Whole, s => s.FeatureLayer, (s, v) => s with { FeatureLayer = v } },
        { "keep_class_token", Flag, s => s.KeepClassToken, (s, v) => s with { KeepClassToken = v } },
        { "pad_to_square", Flag, s => s.PadToSquare, (s, v) => s with { PadToSquare = v } },
    });

    private static readonly RecordCodec<AudioSection> Audio = new(() => new(), new()
    {
        { "path", FilePath, s => s.Path, (s, v) => s with { Path = v } },
        { "trim", Flag, s => s.Trim, (s, v) => s with { Trim = v } },
    });

    private static readonly RecordCodec<ModelSection> Model = new(() => new(), new()
    {
        { "llm", Llm, s => s.Llm, (s, v) => s with { Llm = v } },
        { "vision", new OptionalCodec<VisionSection>(Vision), s => s.Vision, (s, v) => s with { Vision = v } },
        { "audio", new OptionalCodec<AudioSection>(Audio), s => s.Audio, (s, v) => s with { Audio = v } },
    });

    private static readonly RecordCodec<AdapterSpec> Adapter = new(() => new(), new()
    {
        { "name", Text, s => s.Name, (s, v) => s with { Name = v } },
        { "type", Text, s => s.Type, (s, v) => s with { Type = v } },
        { "component", Text, s => s.Component, (s, v) => s with { Component = v } },
        { "targets", new OptionalCodec<Adapters.Targeting.ModuleSelector>(SelectorCodec.Instance), s => s.Targets, (s, v) => s with { Targets = v } },
        { "layers", new OptionalCodec<IReadOnlyList<int>>(new ListCodec<int>(Whole)), s => s.Layers, (s, v) => s with { Layers = v } },
        { "settings", JsonCodec.Instance, s => s.Settings, (s, v) => s with { Settings = v } },
    });

    private static readonly RecordCodec<DatasetSpec> Dataset = new(() => new(), new()
    {
        { "path", FilePath, s => s.Path, (s, v) => s with { Path = v } },
        { "format", Text, s => s.Format, (s, v) => s with { Format = v } },
        { "max_samples", OptionalInt, s => s.MaxSamples, (s, v) => s with { MaxSamples = v } },
    });

    private static readonly RecordCodec<SynthSpec> Synth = new(() => new(), new()
    {
        { "seed", Whole64, s => s.Seed, (s, v) => s with { Seed = v } },
        { "count", Whole, s => s.Count, (s, v) => s with { Count = v } },
        { "test_count", Whole, s => s.TestCount, (s, v) => s with { TestCount = v } },
    });

    private static readonly RecordCodec<DataSection> Data = new(() => new(), new()
    {
        { "train", Dataset, s => s.Train, (s, v) => s with { Train = v } },
        { "eval", new OptionalCodec<DatasetSpec>(Dataset), s => s.Eval, (s, v) => s with { Eval = v } },
        { "synth", new OptionalCodec<SynthSpec>(Synth), s => s.Synth, (s, v) => s with { Synth = v } },
        { "max_seq_len", Whole, s => s.MaxSeqLen, (s, v) => s with { MaxSeqLen = v } },
        { "loss_on", new EnumCodec<LossTokens>(("assistant", LossTokens.Assistant), ("all", LossTokens.All)), s => s.LossOn, (s, v) => s with { LossOn = v } },
        { "on_truncate", new EnumCodec<TruncationPolicy>(("drop", TruncationPolicy.Drop), ("error", TruncationPolicy.Error)), s => s.OnTruncate, (s, v) => s with { OnTruncate = v } },
    });

    private static readonly RecordCodec<StageData> StageDatasets = new(() => new(), new()
    {
        { "train", new OptionalCodec<DatasetSpec>(Dataset), s => s.Train, (s, v) => s with { Train = v } },
        { "eval", new OptionalCodec<DatasetSpec>(Dataset), s => s.Eval, (s, v) => s with { Eval = v } },
    });

    private static readonly RecordCodec<ClassifyHead> Head = new(() => new(), new()
    {
        { "component", Text, s => s.Component, (s, v) => s with { Component = v } },
        { "labels", Whole, s => s.Labels, (s, v) => s with { Labels = v } },
        { "pooling", new EnumCodec<HeadPooling>(("mean", HeadPooling.Mean), ("cls", HeadPooling.Cls)), s => s.Pooling, (s, v) => s with { Pooling = v } },
    });

    private static readonly RecordCodec<StageInit> Init = new(() => new(), new()
    {
        { "from_stage", OptionalString, s => s.FromStage, (s, v) => s with { FromStage = v } },
        { "from_file", OptionalPath, s => s.FromFile, (s, v) => s with { FromFile = v } },
        { "upcycle_from", OptionalString, s => s.UpcycleFrom, (s, v) => s with { UpcycleFrom = v } },
        { "settings", JsonCodec.Instance, s => s.Settings, (s, v) => s with { Settings = v } },
    });

    private static readonly RecordCodec<StageSpec> Stage = new(() => new(), new()
    {
        { "name", Text, s => s.Name, (s, v) => s with { Name = v } },
        { "objective", new EnumCodec<StageObjective>(("lm", StageObjective.LanguageModel), ("classify", StageObjective.Classify)), s => s.Objective, (s, v) => s with { Objective = v } },
        { "head", new OptionalCodec<ClassifyHead>(Head), s => s.Head, (s, v) => s with { Head = v } },
        { "data", new OptionalCodec<StageData>(StageDatasets), s => s.Data, (s, v) => s with { Data = v } },
        { "connectors", new MapCodec<JsonObject>(JsonCodec.Instance), s => s.Connectors, (s, v) => s with { Connectors = v } },
        { "train", new ListCodec<string>(Text), s => s.Train, (s, v) => s with { Train = v } },
        { "lr", Number, s => s.Lr, (s, v) => s with { Lr = v } },
        { "lr_groups", new MapCodec<double>(Number), s => s.LrGroups, (s, v) => s with { LrGroups = v } },
        { "epochs", OptionalInt, s => s.Epochs, (s, v) => s with { Epochs = v } },
        { "max_steps", OptionalInt, s => s.MaxSteps, (s, v) => s with { MaxSteps = v } },
        { "batch_size", Whole, s => s.BatchSize, (s, v) => s with { BatchSize = v } },
        { "grad_accum", Whole, s => s.GradAccum, (s, v) => s with { GradAccum = v } },
        { "warmup_steps", Whole, s => s.WarmupSteps, (s, v) => s with { WarmupSteps = v } },
        { "scheduler", new EnumCodec<ScheduleKind>(("cosine", ScheduleKind.Cosine), ("linear", ScheduleKind.Linear), ("constant", ScheduleKind.Constant)), s => s.Scheduler, (s, v) => s with { Scheduler = v } },
        { "weight_decay", Number, s => s.WeightDecay, (s, v) => s with { WeightDecay = v } },
        { "clip", new OptionalValueCodec<double>(Number), s => s.Clip, (s, v) => s with { Clip = v } },
        { "log_every", Whole, s => s.LogEvery, (s, v) => s with { LogEvery = v } },
        { "eval_every", Whole, s => s.EvalEvery, (s, v) => s with { EvalEvery = v } },
        { "save_every", Whole, s => s.SaveEvery, (s, v) => s with { SaveEvery = v } },
        { "keep_last", Whole, s => s.KeepLast, (s, v) => s with { KeepLast = v } },
        { "aux_loss_weight", Number, s => s.AuxLossWeight, (s, v) => s with { AuxLossWeight = v } },
        { "gates", new MapCodec<bool>(Flag), s => s.Gates, (s, v) => s with { Gates = v } },
        { "init", new MapCodec<StageInit>(Init), s => s.Init, (s, v) => s with { Init = v } },
        { "eval_at_start", Flag, s => s.EvalAtStart, (s, v) => s with { EvalAtStart = v } },
    });

    /// <summary>The whole recipe.</summary>
    public static RecordCodec<Recipe> Recipe { get; } = new(() => new(), new()
    {
        { "name", Text, s => s.Name, (s, v) => s with { Name = v } },
        { "output_dir", FilePath, s => s.OutputDir, (s, v) => s with { OutputDir = v } },
        { "seed", Whole64, s => s.Seed, (s, v) => s with { Seed = v } },
        { "device", Text, s => s.Device, (s, v) => s with { Device = v } },
        { "dtype", Text, s => s.Dtype, (s, v) => s with { Dtype = v } },
        { "model", Model, s => s.Model, (s, v) => s with { Model = v } },
        { "connectors", new MapCodec<JsonObject>(JsonCodec.Instance), s => s.Connectors, (s, v) => s with { Connectors = v } },
        { "adapters", new ListCodec<AdapterSpec>(Adapter), s => s.Adapters, (s, v) => s with { Adapters = v } },
        { "data", Data, s => s.Data, (s, v) => s with { Data = v } },
        { "stages", new ListCodec<StageSpec>(Stage), s => s.Stages, (s, v) => s with { Stages = v } },
    });
}
