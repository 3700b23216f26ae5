using System.Text.Json.Nodes;

namespace MMAdapt.Finetune.Recipes;

/// <summary>
/// One entry of a stage's <c>init</c>: where one component's weights start. Exactly one of
/// <see cref="FromStage"/>, <see cref="FromFile"/> and <see cref="UpcycleFrom"/> is given.
/// </summary>
public sealed record StageInit
{
    private readonly Structural<JsonObject> settings = ValueEquality.Json(null);

    /// <summary><c>from_stage</c>: an earlier stage whose final checkpoint holds the component's weights.</summary>
    public string? FromStage { get; init; }

    /// <summary><c>from_file</c>: a safetensors file (or PEFT folder) with the component's weights.</summary>
    public string? FromFile { get; init; }

    /// <summary><c>upcycle_from</c>: a component (<c>adapter:lora</c>, <c>connector:image</c>) whose current weights
    /// initialise every expert of this one (MoE-LLaVA's sparse upcycling).</summary>
    public string? UpcycleFrom { get; init; }

    /// <summary><c>settings</c>: options of the initialisation (noise on upcycled experts, a key prefix in a file),
    /// passed through unread (default: empty).</summary>
    public JsonObject Settings { get => settings.Value; init => settings = ValueEquality.Json(value); }
}
