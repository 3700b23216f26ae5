using MMAdapt.Tests.TestSupport;
using MMAdapt.Tools.NotebookTwins;
using Xunit;
using static MMAdapt.Tests.Tutorials.NotebookJson;

namespace MMAdapt.Tests.Tutorials;

/// <summary><c>dotnet run --project tools/NotebookTwins [--check] --tutorials DIR</c> on a temporary folder.</summary>
public class NotebookTwinsCommandTests
{
    private static (int Code, string Out, string Err) Run(string folder, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        // Qualified: the mmadapt command's top-level Program is in the global namespace.
        int code = MMAdapt.Tools.NotebookTwins.Program.Run([.. args, "--tutorials", folder], folder, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Check_lists_what_is_out_of_sync_and_writes_nothing_then_regenerating_fixes_it()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("01-missing.ipynb"), Of(Code("var a = 1;")));
        File.WriteAllText(temp.File("02-stale.ipynb"), Of(Code("var b = 2;")));
        File.WriteAllText(temp.File("02-stale.cs"), "// Generated from 02-stale.ipynb, long ago\n");
        File.WriteAllText(temp.File("03-renamed.cs"), "// Generated from 03-renamed.ipynb by tools/NotebookTwins\n");
        File.WriteAllText(temp.File("scratch.cs"), "Console.WriteLine(1);\n");

        var (code, _, error) = Run(temp.Path, "--check");
        Assert.Equal(1, code);
        Assert.Equal("""
            01-missing.cs: missing
            02-stale.cs: differs from 02-stale.ipynb
            03-renamed.cs: no notebook 03-renamed.ipynb
            Regenerate the twins: dotnet run --project tools/NotebookTwins

            """, error);
        Assert.False(File.Exists(temp.File("01-missing.cs")));

        (code, var output, error) = Run(temp.Path);
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("wrote 01-missing.cs\nwrote 02-stale.cs\ndeleted 03-renamed.cs (no notebook 03-renamed.ipynb)\n", output);
        Assert.Equal(NotebookTwin.Convert(Of(Code("var b = 2;")), temp.File("02-stale.ipynb")), File.ReadAllText(temp.File("02-stale.cs")));
        Assert.True(File.Exists(temp.File("scratch.cs")));

        Assert.Equal((0, "", ""), Run(temp.Path, "--check"));
    }

    [Fact]
    public void A_notebook_error_fails_naming_it_and_writes_no_twin()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("01-good.ipynb"), Of(Code("var a = 1;")));
        File.WriteAllText(temp.File("02-bad.ipynb"), Of(Code("#!time\nvar b = 2;")));

        var (code, _, error) = Run(temp.Path);
        Assert.Equal(1, code);
        Assert.StartsWith("02-bad.ipynb, cell 1: unsupported directive `#!time`", error);
        Assert.Empty(Directory.GetFiles(temp.Path, "*.cs"));
    }
}
