using System.Reflection;
using MMAdapt.Adapters.Routing;
using MMAdapt.Core.Display;
using MMAdapt.Core.Modules;
using MMAdapt.Finetune.Training;
using Xunit;

namespace MMAdapt.Tests.Core.Display;

public class RichDisplayTests
{
    [Fact]
    public void A_table_aligns_text_columns_and_escapes_html()
    {
        var table = new DisplayTable("name", "count>") { Title = "T" };
        table.Add("a<b", "1").Add("long name", "1,234");
        table.Notes.Add("total 1,235");
        Assert.Equal("T\nname       count\n---------  -----\na<b            1\nlong name  1,234\ntotal 1,235", table.ToText().ReplaceLineEndings("\n"));
        var html = table.ToHtml();
        Assert.Contains("<td style=\"text-align:left\">a&lt;b</td><td style=\"text-align:right\">1</td>", html);
        Assert.Contains("<caption style=\"text-align:left;font-weight:bold\">T</caption>", html);
        Assert.Contains("<p>total 1,235</p>", html);
        Assert.Throws<ArgumentException>(() => table.Add("only one cell"));
    }

    /// <summary>What .NET Interactive does with a type it has not seen (Formatter.TryRegisterFromFormatterSources, by
    /// convention): find an attribute named TypeFormatterSourceAttribute, create its FormatterSourceType, call
    /// CreateTypeFormatters, and for each formatter read MimeType and call its one Format(object, TextWriter) -> bool.</summary>
    private static Dictionary<string, string> FormatAsTheKernelWould(object value)
    {
        var attributes = value.GetType().GetCustomAttributes(true).Where(a => a.GetType().Name == "TypeFormatterSourceAttribute").ToList();
        var attribute = Assert.Single(attributes);
        var sourceType = (Type)attribute.GetType().GetProperty("FormatterSourceType")!.GetValue(attribute)!;
        Assert.Equal(["text/html"], (string[])attribute.GetType().GetProperty("PreferredMimeTypes")!.GetValue(attribute)!);
        var source = Activator.CreateInstance(sourceType)!;
        var formatters = (System.Collections.IEnumerable)source.GetType().GetMethod("CreateTypeFormatters")!.Invoke(source, null)!;
        var written = new Dictionary<string, string>();
        foreach (var formatter in formatters)
        {
            var mime = (string)formatter.GetType().GetProperty("MimeType")!.GetValue(formatter)!;
            var format = formatter.GetType().GetMethod("Format")!;   // one overload, or the kernel's lookup is ambiguous
            Assert.Equal(typeof(bool), format.ReturnType);
            var writer = new StringWriter();
            Assert.True((bool)format.Invoke(formatter, [value, writer])!);
            written[mime] = writer.ToString();
        }
        return written;
    }

    [Fact]
    public void The_kernel_finds_html_and_text_formatters_by_convention()
    {
        var table = new DisplayTable("a").Add("x");
        var written = FormatAsTheKernelWould(table);
        Assert.Equal(table.ToHtml(), written["text/html"]);
        Assert.Equal(table.ToText(), written["text/plain"]);
        var formatter = new RichDisplayFormatters.Formatter("text/html");
        Assert.False(formatter.Format("not rich", new StringWriter()));
    }

    [Fact]
    public void Every_public_rich_type_carries_the_formatter_source_and_shows_its_text_as_ToString()
    {
        var assemblies = new[] { typeof(IRichDisplay), typeof(RoutingSnapshot), typeof(TrainingMetrics) }.Select(t => t.Assembly).Distinct();
        var rich = assemblies.SelectMany(a => a.GetExportedTypes()).Where(t => typeof(IRichDisplay).IsAssignableFrom(t) && !t.IsInterface).ToList();
        Assert.True(rich.Count >= 8, string.Join(", ", rich.Select(t => t.Name)));
        foreach (var type in rich)
        {
            Assert.True(type.GetCustomAttribute<TypeFormatterSourceAttribute>() is not null, $"{type.Name} lacks [TypeFormatterSource]");
            Assert.Equal(type, type.GetMethod("ToString", Type.EmptyTypes)!.DeclaringType);
        }
    }

    [Fact]
    public void Notebook_display_writes_the_text_form()
    {
        var old = Notebook.Output;
        var writer = new StringWriter();
        Notebook.Output = writer;
        try
        {
            Notebook.Display(new DisplayTable("a").Add("x"));
            Notebook.Display(null);
            Notebook.Display(42);
        }
        finally
        {
            Notebook.Output = old;
        }
        Assert.Equal("a\n-\nx\n\nnull\n\n42\n\n", writer.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_png_knows_its_size_and_a_non_png_is_refused_by_name()
    {
        using var folder = new TestSupport.TempFolder();
        var metricsFile = folder.File("metrics.jsonl");
        File.WriteAllText(metricsFile, "{\"stage\":\"s\",\"step\":1,\"stage_step\":1,\"loss\":2.0}\n{\"stage\":\"s\",\"step\":2,\"stage_step\":2,\"loss\":1.0}\n");
        var png = TrainingMetrics.Load(metricsFile).PlotLoss(width: 320, height: 200).Save(folder.File("loss.png"));
        Assert.Equal((320, 200), (png.Width, png.Height));
        Assert.Equal((320, 200), (PngImage.Load(folder.File("loss.png")).Width, PngImage.Load(folder.File("loss.png")).Height));
        Assert.StartsWith("<img src=\"data:image/png;base64,iVBORw0KGgo", png.ToHtml());
        Assert.EndsWith(folder.File("loss.png"), png.ToText());
        var error = Assert.Throws<InvalidDataException>(() => PngImage.Load(metricsFile));
        Assert.Contains("metrics.jsonl: not a PNG file", error.Message);
    }

    [Fact]
    public void Routing_statistics_show_each_experts_share_per_router_and_per_modality()
    {
        var counts = new long[3, 2];
        counts[(int)Modality.Text, 0] = 6; counts[(int)Modality.Image, 1] = 2;
        var snapshot = new RoutingSnapshot(
        [
            new LayerRoutingStats("llm.q_proj", 8, [6, 2], [0.75, 0.25], [0.7, 0.3], [0.7, 0.3], counts, [6, 2, 0]),
            new LayerRoutingStats("llm.v_proj", 8, [4, 4], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5], new long[3, 2], [8, 0, 0]),
        ]);
        Assert.Equal(
            "Routing: share of selections per expert\n" +
            "router      tokens  experts/token     e0     e1\n" +
            "----------  ------  -------------  -----  -----\n" +
            "llm.q_proj       8           1.00  75.0%  25.0%\n" +
            "llm.v_proj       8           1.00  50.0%  50.0%", snapshot.ToText().ReplaceLineEndings("\n"));
        var byModality = snapshot.Filter("q_proj").ByModality().Rows;
        Assert.Equal([["llm.q_proj [text]", "6", "1.00", "100.0%", "0.0%"], ["llm.q_proj [image]", "2", "1.00", "0.0%", "100.0%"]], byModality);
        Assert.Contains("no routing recorded yet", new RoutingSnapshot([]).ToText());
    }

    [Fact]
    public void An_evaluation_shows_accuracy_per_kind_and_overall()
    {
        var result = new EvaluationResult(0.5, 3, 4) { ByKind = new Dictionary<string, (int, int)> { ["text"] = (1, 1), ["image"] = (2, 3) } };
        Assert.Equal(
            "Evaluation\nquestions  correct  asked  accuracy\n---------  -------  -----  --------\n" +
            "image            2      3     66.7%\ntext             1      1    100.0%\nall              3      4     75.0%\neval loss 0.5000",
            result.ToText().ReplaceLineEndings("\n"));
    }
}
