using System.Text.Json.Serialization;

namespace MMAdapt.Finetune.Training;

/// <summary>Where a run stands, saved with each checkpoint (<c>trainer_state.json</c>) so a resumed run continues exactly.</summary>
public sealed record TrainerState
{
    /// <summary>Index of the stage in the recipe.</summary>
    [JsonPropertyName("stage_index")] public int StageIndex { get; init; }
    /// <summary>The stage's name.</summary>
    [JsonPropertyName("stage")] public string Stage { get; init; } = "";
    /// <summary>Optimiser steps since the run began.</summary>
    [JsonPropertyName("step")] public int Step { get; init; }
    /// <summary>Optimiser steps since the stage began.</summary>
    [JsonPropertyName("stage_step")] public int StageStep { get; init; }
    /// <summary>True when the stage finished (a final checkpoint).</summary>
    [JsonPropertyName("stage_done")] public bool StageDone { get; init; }
    /// <summary>Data position: the epoch.</summary>
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    /// <summary>Data position: examples consumed in that epoch.</summary>
    [JsonPropertyName("epoch_offset")] public int EpochOffset { get; init; }
    /// <summary>The torch CPU generator's state (base64), for dropout and noisy routing.</summary>
    [JsonPropertyName("rng_state")] public string RngState { get; init; } = "";
    /// <summary>Parameters trained in full in earlier stages (saved with every later checkpoint).</summary>
    [JsonPropertyName("trained_parameters")] public IReadOnlyList<string> TrainedParameters { get; init; } = [];
}
