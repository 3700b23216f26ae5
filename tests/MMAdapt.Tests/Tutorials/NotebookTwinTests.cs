using MMAdapt.Tests.TestSupport;
using MMAdapt.Tools.NotebookTwins;
using Xunit;
using static MMAdapt.Tests.Tutorials.NotebookJson;

namespace MMAdapt.Tests.Tutorials;

/// <summary>The notebook-to-twin conversion on small inline notebooks, compared with the exact twin text.</summary>
public class NotebookTwinTests
{
    // In the repository's tutorials folder, so that "../src/..." paths resolve to the real projects.
    private static readonly string NotebookPath = RepositoryPaths.Of("tutorials", "01-sample.ipynb");

    private const string Header = """
        // Generated from 01-sample.ipynb by tools/NotebookTwins: edit the notebook, then run
        //   dotnet run --project tools/NotebookTwins
        // Run this twin from its folder: dotnet run 01-sample.cs

        """;

    private static string Convert(params string[] cells) => NotebookTwin.Convert(Of(cells), NotebookPath);

    private static string ErrorOf(string notebookJson) =>
        Assert.Throws<NotebookTwinException>(() => NotebookTwin.Convert(notebookJson, NotebookPath)).Message;

    [Fact]
    public void Dll_references_become_projects_and_nuget_and_source_lines_are_dropped()
    {
        var twin = Convert(
            Code("""
                #r "../src/Finetune/bin/Debug/net8.0/MMAdapt.Finetune.dll"
                #r "nuget: ScottPlot, 5.1.59"
                #i "nuget: https://pkgs.example.org/feed/index.json"
                var x = 1;
                """),
            Code("""
                #r "../src/Core/bin/Release/net8.0/MMAdapt.Core.dll"
                #r "../src/Finetune/bin/Debug/net8.0/MMAdapt.Finetune.dll"
                Console.WriteLine(x);
                """));
        Assert.Equal("""
            // Generated from 01-sample.ipynb by tools/NotebookTwins: edit the notebook, then run
            //   dotnet run --project tools/NotebookTwins
            // Run this twin from its folder: dotnet run 01-sample.cs

            #:project ../src/Finetune/MMAdapt.Finetune.csproj
            #:project ../src/Core/MMAdapt.Core.csproj

            // cell 1
            var x = 1;

            // cell 2
            Console.WriteLine(x);

            """, twin);
    }

    [Fact]
    public void Usings_at_cell_starts_are_hoisted_once_and_cells_left_empty_are_skipped()
    {
        var twin = Convert(
            Code("""
                using MMAdapt.Core;
                using static System.Math;

                var a = Abs(-1);
                """),
            Markdown("Some text first.\n\n## Second step\n\nMore text."),
            Code("using System.Text;\n"),
            Code("""
                // Devices next.
                using MMAdapt.Core;
                using Dev = MMAdapt.Core.Devices;
                var b = a + 1;
                using var scope = TorchSharp.torch.NewDisposeScope();
                """));
        Assert.Equal(Header + """

            using MMAdapt.Core;
            using static System.Math;
            using System.Text;
            using Dev = MMAdapt.Core.Devices;

            // cell 1
            var a = Abs(-1);

            // ## Second step
            // cell 4
            // Devices next.
            var b = a + 1;
            using var scope = TorchSharp.torch.NewDisposeScope();

            """, twin);
    }

    [Fact]
    public void A_trailing_expression_is_displayed()
    {
        var twin = Convert(Code("""
            var m = 2;
            m * 3
            // shown by the notebook

            """));
        Assert.Equal(Header + """

            using MMAdapt.Core.Display;

            // cell 1
            var m = 2;
            Notebook.Display(m * 3);
            // shown by the notebook

            """, twin);
    }

    [Fact]
    public void A_multi_line_trailing_expression_is_displayed_whole_with_its_layout()
    {
        var twin = Convert(
            Code("using System.Linq;\nvar items = new[] { 3, 1, 2 };\nitems\n    .Order()\n    .Select(i => i * 2)"),
            Code("""
                if (items.Length > 0)
                {
                    Console.WriteLine("ok");
                }
                  items.Length
                """));
        Assert.Equal(Header + """

            using System.Linq;
            using MMAdapt.Core.Display;

            // cell 1
            var items = new[] { 3, 1, 2 };
            Notebook.Display(items
                .Order()
                .Select(i => i * 2));

            // cell 2
            if (items.Length > 0)
            {
                Console.WriteLine("ok");
            }
              Notebook.Display(items.Length);

            """, twin);
    }

    [Fact]
    public void Trailing_line_comments_do_not_hide_where_code_ends()
    {
        var twin = Convert(
            Code("""
                using MMAdapt.Core; // checkpoints
                var url = "http://example.org/a;b"; // not a comment inside the string
                var m = 2; // two
                m * url.Length // shown
                """),
            Code("using MMAdapt.Core;\nvar c = '/'; // a slash\nc"));
        Assert.Equal(Header + """

            using MMAdapt.Core; // checkpoints
            using MMAdapt.Core.Display;

            // cell 1
            var url = "http://example.org/a;b"; // not a comment inside the string
            var m = 2; // two
            Notebook.Display(m * url.Length); // shown

            // cell 2
            var c = '/'; // a slash
            Notebook.Display(c);

            """, twin);
    }

    [Fact]
    public void Cells_ending_with_a_statement_or_block_are_left_as_they_are()
    {
        var twin = Convert(
            Code("""
                foreach (var i in new[] { 1, 2 })
                {
                    Console.WriteLine(i);
                }
                """),
            Code("""
                #region setup
                var n = 1;
                #endregion
                """),
            Code("var s = $\"{n}\";"));
        Assert.Equal(Header + """

            // cell 1
            foreach (var i in new[] { 1, 2 })
            {
                Console.WriteLine(i);
            }

            // cell 2
            #region setup
            var n = 1;
            #endregion

            // cell 3
            var s = $"{n}";

            """, twin);
    }

    [Fact]
    public void Source_as_a_string_or_as_an_array_of_lines_gives_the_same_twin()
    {
        const string asArray = """
            { "cells": [ { "cell_type": "code", "metadata": { "dotnet_interactive": { "language": "csharp" } },
                           "source": [ "var x = 1;\r\n", "x + 1" ] } ],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 2 }
            """;
        const string asString = """
            { "cells": [ { "cell_type": "code", "metadata": {}, "source": "var x = 1;\nx + 1" } ],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 2 }
            """;
        var expected = Header + """

            using MMAdapt.Core.Display;

            // cell 1
            var x = 1;
            Notebook.Display(x + 1);

            """;
        Assert.Equal(expected, NotebookTwin.Convert(asArray, NotebookPath));
        Assert.Equal(expected, NotebookTwin.Convert(asString, NotebookPath));
    }

    [Fact]
    public void A_cell_in_another_language_is_an_error_naming_notebook_and_cell()
    {
        var error = ErrorOf(Of(Code("var x = 1;"), Markdown("# F#"), Code("let y = 2", "fsharp")));
        Assert.Equal("01-sample.ipynb, cell 3: a 'fsharp' cell; a twin holds C# cells only", error);
    }

    [Fact]
    public void Cells_without_their_own_kernel_take_the_notebook_default()
    {
        var error = ErrorOf(WithDefaultKernel("pwsh", Code("var x = 1;"), Code("Get-ChildItem", kernel: null)));
        Assert.Equal("01-sample.ipynb, cell 2: a 'pwsh' cell; a twin holds C# cells only", error);
    }

    [Theory]
    [InlineData("#!time", "magic commands")]
    [InlineData("#!csharp", "magic commands")]
    [InlineData("#r \"System.Numerics.dll\"", "only #r \"nuget: ...\"")]
    [InlineData("#r \"../models/bin/Debug/net8.0/Foo.dll\"", "only #r \"nuget: ...\"")]
    [InlineData("#r", "one quoted argument")]
    [InlineData("#load \"helpers.csx\"", "#load")]
    public void Unsupported_directives_are_errors_naming_notebook_cell_and_line(string line, string why)
    {
        var error = ErrorOf(Of(Markdown("# Intro"), Code($"var x = 1;\n{line}\nx")));
        Assert.StartsWith($"01-sample.ipynb, cell 2: unsupported directive `{line}`: ", error);
        Assert.Contains(why, error);
    }

    [Fact]
    public void A_reference_to_a_project_that_does_not_exist_is_an_error()
    {
        const string line = "#r \"../src/Nowhere/bin/Debug/net8.0/MMAdapt.Nowhere.dll\"";
        var error = ErrorOf(Of(Code($"{line}\nvar x = 1;")));
        Assert.StartsWith($"01-sample.ipynb, cell 1: `{line}` maps to #:project ../src/Nowhere/MMAdapt.Nowhere.csproj, which does not exist", error);
    }

    [Fact]
    public void A_notebook_without_csharp_code_is_an_error()
    {
        Assert.Equal("01-sample.ipynb: no C# code cells", ErrorOf(Of(Markdown("# Only words"))));
        Assert.StartsWith("01-sample.ipynb: not valid JSON", ErrorOf("{ not json"));
    }
}
