using System.Text.RegularExpressions;

namespace MMAdapt.Tools.NotebookTwins;

/// <summary>What a notebook directive line becomes in the twin.</summary>
internal enum DirectiveKind
{
    /// <summary>Ordinary C# (C# preprocessor lines such as <c>#region</c> or <c>#if</c> included): kept as is.</summary>
    NotADirective,
    /// <summary><c>#r "nuget: ..."</c> or <c>#i "..."</c>: dropped, the referenced projects bring their packages.</summary>
    Dropped,
    /// <summary><c>#r</c> of a DLL built from <c>src/</c>: becomes <c>#:project</c> of that project.</summary>
    ProjectReference,
}

/// <summary>A directive line mapped to the twin; <see cref="ProjectPath"/> is set for project references.</summary>
internal readonly record struct MappedDirective(DirectiveKind Kind, string? ProjectPath = null);

/// <summary>
/// Maps the .NET Interactive directives of a C# cell to a file-based app's: the notebooks load the libraries'
/// net8.0 build with <c>#r "../src/Dir/bin/Config/tfm/Name.dll"</c> (the kernel runs on .NET 8), the twin builds
/// the project itself with <c>#:project ../src/Dir/Name.csproj</c>.
/// </summary>
internal static partial class DirectiveMapping
{
    /// <summary>Maps one line of a cell.</summary>
    /// <exception cref="NotebookTwinException">A magic command (<c>#!...</c>), or a <c>#r</c>/<c>#i</c>/<c>#load</c> form the twin cannot express.</exception>
    public static MappedDirective Map(string line, string notebook, int cell)
    {
        var text = line.Trim();
        if (text.StartsWith("#!", StringComparison.Ordinal))
            throw Unsupported(notebook, cell, text, "magic commands have no file-based equivalent");
        var match = Directive().Match(text);
        if (!match.Success)
            return new MappedDirective(DirectiveKind.NotADirective);
        var argument = match.Groups["argument"];
        if (!argument.Success)
            throw Unsupported(notebook, cell, text, "expected one quoted argument");
        var value = argument.Value;
        switch (match.Groups["name"].Value)
        {
            case "#i":
                return new MappedDirective(DirectiveKind.Dropped);
            case "#r" when value.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase):
                return new MappedDirective(DirectiveKind.Dropped);
            case "#r":
                var dll = BuiltDll().Match(value.Replace('\\', '/'));
                if (!dll.Success)
                    throw Unsupported(notebook, cell, text, "only #r \"nuget: ...\" and #r \"<path>/src/<Dir>/bin/<Config>/<tfm>/<Name>.dll\" are supported");
                return new MappedDirective(DirectiveKind.ProjectReference,
                    $"{dll.Groups["prefix"].Value}src/{dll.Groups["dir"].Value}/{dll.Groups["name"].Value}.csproj");
            default:
                throw Unsupported(notebook, cell, text, "scripts loaded with #load have no file-based equivalent");
        }
    }

    private static NotebookTwinException Unsupported(string notebook, int cell, string line, string why) =>
        NotebookTwinException.InCell(notebook, cell, $"unsupported directive `{line}`: {why}");

    // The whole first word must be #r, #i or #load: #region and #if are C# and stay.
    [GeneratedRegex("""^(?<name>#r|#i|#load)(?=$|[\s"])\s*(?:"(?<argument>[^"]*)"\s*$)?""")]
    private static partial Regex Directive();

    // "../src/Finetune/bin/Debug/net8.0/MMAdapt.Finetune.dll": prefix "../", dir "Finetune", name "MMAdapt.Finetune".
    [GeneratedRegex("""^(?<prefix>(?:[^/]+/)*?)src/(?<dir>[^/]+)/bin/[^/]+/[^/]+/(?<name>[^/]+)\.dll$""")]
    private static partial Regex BuiltDll();
}
