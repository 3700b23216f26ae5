using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using MMAdapt.Adapters.Peft;
using MMAdapt.Adapters.Targeting;

namespace MMAdapt.Adapters.Lora;

/// <summary>
/// A LoRA adapter's settings, in PEFT's <c>adapter_config.json</c> form (so the file MMAdapt writes is the one PEFT
/// reads, and the reverse): <c>r</c>, <c>lora_alpha</c>, <c>lora_dropout</c>, <c>target_modules</c>, ...
/// </summary>
/// <remarks>
/// LoRA (Hu et al., 2021): <c>y = W x + s · B A dropout(x)</c> with <c>A</c> [r, in] kaiming-uniform (or
/// gaussian N(0, 1/r)), <c>B</c> [out, r] zero, and <c>s = alpha / r</c> (rsLoRA, Kalajdzievski 2023:
/// <c>alpha / sqrt(r)</c>). DoRA (Liu et al., 2024) rescales each output row of <c>W + s·BA</c> to a learned
/// magnitude. Per-module ranks and alphas come from <c>rank_pattern</c> / <c>alpha_pattern</c> (regex keys
/// matched against the end of the module name, as PEFT does).
/// </remarks>
public sealed record LoraConfig : PeftConfig
{
    /// <summary>An empty LoRA config (PEFT's defaults: r 8, alpha 8, no dropout); set target_modules.</summary>
    public LoraConfig() : base("LORA") { }

    /// <summary><c>r</c>: rank.</summary>
    [JsonPropertyName("r")] public int Rank { get; init; } = 8;
    /// <summary><c>lora_alpha</c>.</summary>
    [JsonPropertyName("lora_alpha")] public double Alpha { get; init; } = 8;
    /// <summary><c>lora_dropout</c>: dropout on the adapter's input, in training.</summary>
    [JsonPropertyName("lora_dropout")] public double Dropout { get; init; }
    /// <summary><c>layers_to_transform</c>.</summary>
    [JsonPropertyName("layers_to_transform"), JsonConverter(typeof(IntListConverter))] public IReadOnlyList<int>? LayersToTransform { get; init; }
    /// <summary><c>layers_pattern</c>: one name or a list.</summary>
    [JsonPropertyName("layers_pattern")] public JsonElement? LayersPattern { get; init; }
    /// <summary><c>rank_pattern</c>: regex key → rank.</summary>
    [JsonPropertyName("rank_pattern")] public IReadOnlyDictionary<string, int>? RankPattern { get; init; }
    /// <summary><c>alpha_pattern</c>: regex key → alpha.</summary>
    [JsonPropertyName("alpha_pattern")] public IReadOnlyDictionary<string, double>? AlphaPattern { get; init; }
    /// <summary><c>use_rslora</c>: scale by alpha / sqrt(r).</summary>
    [JsonPropertyName("use_rslora")] public bool UseRsLora { get; init; }
    /// <summary><c>use_dora</c>: weight-decomposed LoRA.</summary>
    [JsonPropertyName("use_dora")] public bool UseDora { get; init; }
    /// <summary><c>init_lora_weights</c>: true (kaiming-uniform A), "gaussian" (N(0, 1/r) A), false (random B too: not identity).</summary>
    [JsonPropertyName("init_lora_weights")] public JsonElement? InitLoraWeights { get; init; }
    /// <summary><c>bias</c>: only "none" is supported.</summary>
    [JsonPropertyName("bias")] public string Bias { get; init; } = "none";

    /// <summary>How A is initialised.</summary>
    [JsonIgnore]
    public LoraInit Init => InitLoraWeights switch
    {
        null => LoraInit.Kaiming,
        { ValueKind: JsonValueKind.True } => LoraInit.Kaiming,
        { ValueKind: JsonValueKind.False } => LoraInit.Random,
        { ValueKind: JsonValueKind.String } e when e.GetString() == "gaussian" => LoraInit.Gaussian,
        var e => throw new InvalidDataException($"init_lora_weights {e.Value.GetRawText()} is not supported; supported: true, false, \"gaussian\"."),
    };

    /// <inheritdoc />
    /// <remarks>Adds <c>layers_to_transform</c> and <c>layers_pattern</c>.</remarks>
    public override TargetSelection Selection() => base.Selection() with
    {
        LayersToTransform = LayersToTransform,
        LayersPattern = LayersPattern switch
        {
            null or { ValueKind: JsonValueKind.Null } => null,
            { ValueKind: JsonValueKind.String } s => [s.GetString()!],
            { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Select(e => e.GetString()!).ToList(),
            _ => throw new InvalidDataException("layers_pattern must be a string or a list of strings."),
        },
    };

    /// <summary>The rank for one module: the first <c>rank_pattern</c> key matching the end of its name, else <c>r</c>.</summary>
    public int RankFor(string moduleName) => PatternValue(RankPattern, moduleName) ?? Rank;

    /// <summary>The alpha for one module: the first <c>alpha_pattern</c> key matching, else <c>lora_alpha</c>.</summary>
    public double AlphaFor(string moduleName) => PatternValue(AlphaPattern, moduleName) ?? Alpha;

    /// <summary>The scale <c>alpha / r</c> (or <c>alpha / sqrt(r)</c> with rsLoRA) for one module.</summary>
    public double ScaleFor(string moduleName)
    {
        int rank = RankFor(moduleName);
        return AlphaFor(moduleName) / (UseRsLora ? Math.Sqrt(rank) : rank);
    }

    /// <summary>Checks the settings; the message names the key.</summary>
    /// <exception cref="InvalidDataException">An unsupported or contradictory value.</exception>
    public override void Validate(string source = "LoRA config")
    {
        if (Rank <= 0)
            throw new InvalidDataException($"{source}: r must be positive, got {Rank}.");
        foreach (var (key, rank) in RankPattern ?? new Dictionary<string, int>())
            if (rank <= 0)
                throw new InvalidDataException($"{source}: rank_pattern['{key}'] must be positive, got {rank}.");
        if (Dropout is < 0 or >= 1)
            throw new InvalidDataException($"{source}: lora_dropout must be in [0, 1), got {Dropout}.");
        if (Bias != "none")
            throw new InvalidDataException($"{source}: bias '{Bias}' is not supported; supported: none.");
        try
        {
            _ = Init;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        foreach (var key in (RankPattern?.Keys ?? []).Concat(AlphaPattern?.Keys ?? []))
            if (!IsRegex(key))
                throw new InvalidDataException($"{source}: rank_pattern/alpha_pattern key '{key}' is not a valid regular expression.");
        base.Validate(source);
    }

    private static bool IsRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static T? PatternValue<T>(IReadOnlyDictionary<string, T>? patterns, string name) where T : struct
    {
        if (patterns is null)
            return null;
        foreach (var (key, value) in patterns)
            if (Regex.IsMatch(name, $"^(.*\\.)?(?:{key})$"))   // PEFT: re.match(rf"(.*\.)?({key})$", name)
                return value;
        return null;
    }
}

/// <summary>How LoRA's A matrix starts (B starts at zero unless <see cref="Random"/>).</summary>
public enum LoraInit
{
    /// <summary>Kaiming-uniform with a = √5, as <c>nn.Linear</c> (PEFT's default).</summary>
    Kaiming,
    /// <summary>Normal(0, 1/r).</summary>
    Gaussian,
    /// <summary>A and B both random: the model changes at once (PEFT's init_lora_weights=false, for tests).</summary>
    Random,
}
