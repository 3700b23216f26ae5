using MMAdapt.Core.Display;
using MMAdapt.Core.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Training;

/// <summary>One row of <see cref="ParameterCounts"/>: a component's own weights, or one adapter attached inside it.</summary>
/// <param name="Component">The component (<c>llm</c>, <c>vision</c>, <c>connector:image</c>, ...).</param>
/// <param name="Adapter">The adapter's name (<c>lora</c>, <c>moe</c>, ...), or null for the component's own weights.</param>
/// <param name="Parameters">Number of values.</param>
/// <param name="Trainable">Values with <c>requires_grad</c> set.</param>
public sealed record ParameterCountRow(string Component, string? Adapter, long Parameters, long Trainable);

/// <summary>
/// How many parameters each component holds and how many train, with attached adapters counted on rows of their
/// own: the "trainable parameters" table PEFT prints, per part.
/// </summary>
[TypeFormatterSource(typeof(RichDisplayFormatters))]
public sealed class ParameterCounts : IRichDisplay
{
    private ParameterCounts(IReadOnlyList<ParameterCountRow> rows) => Rows = rows;

    /// <summary>The rows: per component, its own weights first, then its adapters by name.</summary>
    public IReadOnlyList<ParameterCountRow> Rows { get; }

    /// <summary>All values.</summary>
    public long Total => Rows.Sum(r => r.Parameters);

    /// <summary>Values that train.</summary>
    public long Trainable => Rows.Sum(r => r.Trainable);

    /// <summary>Values of the adapter called <paramref name="adapter"/>, over all components (0 when none).</summary>
    public long OfAdapter(string adapter) => Rows.Where(r => r.Adapter == adapter).Sum(r => r.Parameters);

    /// <summary>Counts the parameters of <paramref name="components"/> (shared parameters once per component).</summary>
    public static ParameterCounts Of(IReadOnlyList<(string Component, nn.Module Root)> components)
    {
        var rows = new List<ParameterCountRow>();
        foreach (var (component, root) in components)
        {
            var groups = ModuleParameters.UniqueNamed(root)
                .GroupBy(p => ParameterSelection.AdapterNameOf(p.Name))
                .OrderBy(g => g.Key is null ? "" : g.Key, StringComparer.Ordinal);
            foreach (var group in groups)
                rows.Add(new ParameterCountRow(component, group.Key,
                    group.Sum(p => p.Parameter.numel()),
                    group.Where(p => p.Parameter.requires_grad).Sum(p => p.Parameter.numel())));
        }
        return new ParameterCounts(rows);
    }

    /// <summary>The table (also what <see cref="ToText"/> and <see cref="ToHtml"/> show).</summary>
    public DisplayTable ToTable()
    {
        var table = new DisplayTable("component", "adapter", "parameters>", "trainable>", "trainable %>") { Title = "Parameters" };
        foreach (var r in Rows)
            table.Add(r.Component, r.Adapter ?? "-", DisplayTable.Count(r.Parameters), DisplayTable.Count(r.Trainable),
                r.Parameters == 0 ? "-" : DisplayTable.Percent((double)r.Trainable / r.Parameters, 2));
        table.Notes.Add($"trainable: {DisplayTable.Count(Trainable)} of {DisplayTable.Count(Total)} ({DisplayTable.Percent(Total == 0 ? 0 : (double)Trainable / Total, 3)})");
        return table;
    }

    /// <inheritdoc/>
    public string ToText() => ToTable().ToText();

    /// <inheritdoc/>
    public string ToHtml() => ToTable().ToHtml();

    /// <inheritdoc/>
    public override string ToString() => ToText();
}
