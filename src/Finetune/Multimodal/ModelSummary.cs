using MMAdapt.Core.Display;
using MMAdapt.Core.Modules;
using MMAdapt.Finetune.Training;

namespace MMAdapt.Finetune.Multimodal;

/// <summary>One component in a <see cref="ModelSummary"/>.</summary>
/// <param name="Component">Its name (<c>llm</c>, <c>vision</c>, <c>connector:image</c>, ...).</param>
/// <param name="Module">The module's type name (<c>LlamaForCausalLM</c>, <c>MlpConnector</c>, ...).</param>
/// <param name="Description">Its shape in words (layers, widths, tokens).</param>
/// <param name="Parameters">Number of values, adapters included.</param>
/// <param name="Trainable">Values with <c>requires_grad</c> set.</param>
/// <param name="Dtype">The dtype(s) of its parameters.</param>
/// <param name="Device">Where its parameters live.</param>
public sealed record ComponentSummary(string Component, string Module, string Description, long Parameters, long Trainable, string Dtype, string Device);

/// <summary>What a <see cref="MultimodalModel"/> is made of: one row per component, adapters counted in.</summary>
/// <param name="Components">The rows, in <see cref="MultimodalModel.Components"/> order.</param>
/// <param name="Template">The chat template's name.</param>
[TypeFormatterSource(typeof(RichDisplayFormatters))]
public sealed record ModelSummary(IReadOnlyList<ComponentSummary> Components, string Template) : IRichDisplay
{
    /// <summary>Summarises <paramref name="model"/> (reads parameter metadata only; no forward pass).</summary>
    public static ModelSummary Of(MultimodalModel model)
    {
        var rows = new List<ComponentSummary>();
        foreach (var (component, root) in model.Components)
        {
            var parameters = ModuleParameters.Unique(root);
            rows.Add(new ComponentSummary(
                component,
                root.GetType().Name,
                Describe(model, component),
                parameters.Sum(p => p.numel()),
                parameters.Where(p => p.requires_grad).Sum(p => p.numel()),
                string.Join("+", parameters.Select(p => p.dtype.ToString().ToLowerInvariant()).Distinct()),
                string.Join("+", parameters.Select(p => p.device.ToString()).Distinct())));
        }
        return new ModelSummary(rows, model.Template.Name);
    }

    /// <summary>All values.</summary>
    public long Parameters => Components.Sum(c => c.Parameters);

    /// <summary>Values that train.</summary>
    public long Trainable => Components.Sum(c => c.Trainable);

    /// <summary>The table (also what <see cref="ToText"/> and <see cref="ToHtml"/> show).</summary>
    public DisplayTable ToTable()
    {
        var table = new DisplayTable("component", "module", "shape", "parameters>", "trainable>", "dtype", "device") { Title = $"MultimodalModel (template {Template})" };
        foreach (var c in Components)
            table.Add(c.Component, c.Module, c.Description, DisplayTable.Count(c.Parameters), DisplayTable.Count(c.Trainable), c.Dtype, c.Device);
        table.Notes.Add($"{DisplayTable.Count(Parameters)} parameters, {DisplayTable.Count(Trainable)} trainable ({DisplayTable.Percent(Parameters == 0 ? 0 : (double)Trainable / Parameters, 3)})");
        return table;
    }

    /// <inheritdoc/>
    public string ToText() => ToTable().ToText();

    /// <inheritdoc/>
    public string ToHtml() => ToTable().ToHtml();

    /// <inheritdoc/>
    public override string ToString() => ToText();

    private static string Describe(MultimodalModel model, string component)
    {
        switch (component)
        {
            case "llm":
                var c = model.Llm.Config;
                return $"{c.ModelType}: {c.NumHiddenLayers} layers, hidden {c.HiddenSize}, vocab {c.VocabSize}";
            case "vision" when model.Vision is { } vision:
                var v = vision.Tower.Config;
                return $"{v.Layers} layers, hidden {v.HiddenSize}, {vision.EncoderTokens} tokens per image";
            case "audio" when model.Audio is { } audio:
                return $"hidden {audio.HiddenSize}, {audio.SampleRate} Hz";
            case "connector:image" or "connector:audio":
                var connector = component == "connector:image" ? model.ImageConnector! : model.AudioConnector!;
                return $"{connector.InFeatures} -> {connector.OutFeatures}";
            case "head" when model.Head is { } head:
                return $"over {head.Component}, width {head.Width}";
            default:
                return "";
        }
    }
}
