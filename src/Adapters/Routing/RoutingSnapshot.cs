using MMAdapt.Core.Display;
using MMAdapt.Core.Modules;

namespace MMAdapt.Adapters.Routing;

/// <summary>Routing statistics of every recorded layer, on the host (from <see cref="RoutingStatistics.Snapshot"/>).</summary>
/// <param name="Layers">Per layer name, in the order the layers were first recorded.</param>
/// <remarks>Shown as a table of each expert's share of the selections per router (a notebook renders it as HTML).</remarks>
[TypeFormatterSource(typeof(RichDisplayFormatters))]
public sealed record RoutingSnapshot(IReadOnlyList<LayerRoutingStats> Layers) : IRichDisplay
{
    /// <summary>Up to this many experts get a column each; wider mixtures show their least and most loaded expert.</summary>
    private const int ExpertColumns = 16;

    /// <summary>The statistics of one layer.</summary>
    /// <exception cref="KeyNotFoundException">Naming the layer and the recorded ones.</exception>
    public LayerRoutingStats this[string layer] => Layers.FirstOrDefault(l => l.Layer == layer)
        ?? throw new KeyNotFoundException($"no routing statistics for layer '{layer}'; recorded: {string.Join(", ", Layers.Select(l => l.Layer))}.");

    /// <summary>Only the layers whose name contains <paramref name="nameContains"/> (e.g. <c>layers.3.</c>, <c>mlp</c>):
    /// a model with a mixture on every projection has many routers.</summary>
    public RoutingSnapshot Filter(string nameContains) =>
        new(Layers.Where(l => l.Layer.Contains(nameContains, StringComparison.Ordinal)).ToList());

    /// <summary>Each router's load: tokens, experts per token, and each expert's share of the selections.</summary>
    public DisplayTable ToTable() => Table("Routing: share of selections per expert", Layers.Select(l => (l.Layer, l.Tokens, l.ExpertsPerToken, l.LoadShare)));

    /// <summary>The load per router and token modality (rows with no tokens of that modality are left out): shows
    /// whether modality-aware routing keeps image, audio and text tokens on their own experts.</summary>
    public DisplayTable ByModality()
    {
        var rows = new List<(string, long, double, double[])>();
        foreach (var layer in Layers)
            for (int m = 0; m < layer.TokensByModality.Length; m++)
            {
                if (layer.TokensByModality[m] == 0)
                    continue;
                var counts = Enumerable.Range(0, layer.Experts).Select(e => (double)layer.CountsByModality[m, e]).ToArray();
                double selections = counts.Sum();
                string modality = Enum.IsDefined(typeof(Modality), (long)m) ? ((Modality)m).ToString().ToLowerInvariant() : $"modality {m}";
                rows.Add(($"{layer.Layer} [{modality}]", layer.TokensByModality[m], selections / layer.TokensByModality[m],
                    counts.Select(c => selections == 0 ? 0 : c / selections).ToArray()));
            }
        return Table("Routing by token modality: share of selections per expert", rows);
    }

    /// <inheritdoc/>
    public string ToText() => ToTable().ToText();

    /// <inheritdoc/>
    public string ToHtml() => ToTable().ToHtml();

    /// <inheritdoc/>
    public override string ToString() => ToText();

    private static DisplayTable Table(string title, IEnumerable<(string Router, long Tokens, double PerToken, double[] Share)> rows)
    {
        var list = rows.ToList();
        int experts = list.Count == 0 ? 0 : list.Max(r => r.Share.Length);
        bool perExpert = experts <= ExpertColumns;
        var columns = new List<string> { "router", "tokens>", "experts/token>" };
        if (perExpert)
            columns.AddRange(Enumerable.Range(0, experts).Select(e => $"e{e}>"));
        else
            columns.AddRange(["least loaded>", "most loaded>"]);
        var table = new DisplayTable([.. columns]) { Title = title };
        foreach (var (router, tokens, perToken, share) in list)
        {
            var cells = new List<string> { router, DisplayTable.Count(tokens), DisplayTable.Number(perToken, 2) };
            if (perExpert)
                cells.AddRange(Enumerable.Range(0, experts).Select(e => e < share.Length ? DisplayTable.Percent(share[e]) : ""));
            else
                cells.AddRange([DisplayTable.Percent(share.Min()), DisplayTable.Percent(share.Max())]);
            table.Add([.. cells]);
        }
        if (list.Count == 0)
            table.Notes.Add("no routing recorded yet (run a forward pass with statistics attached).");
        return table;
    }
}
