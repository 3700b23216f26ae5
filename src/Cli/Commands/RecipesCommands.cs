using System.CommandLine;

namespace MMAdapt.Cli.Commands;

/// <summary><c>mmadapt ls</c> and <c>mmadapt cp NAME DEST</c>: the built-in recipes (torchtune style).</summary>
internal static class RecipesCommands
{
    public static Command List(TextWriter output)
    {
        var command = new Command("ls", "List the built-in recipes.");
        command.SetAction(_ =>
        {
            foreach (var name in BuiltInRecipes.Names)
                output.WriteLine(name);
            return 0;
        });
        return command;
    }

    public static Command Copy(TextWriter output)
    {
        var name = new Argument<string>("NAME") { Description = "A built-in recipe (see 'mmadapt ls')." };
        var destination = new Argument<string>("DEST") { Description = "The file (or folder) to copy it to." };
        var command = new Command("cp", "Copy a built-in recipe to edit it.") { name, destination };
        command.SetAction(parse =>
        {
            var recipe = parse.GetValue(name)!;
            var text = BuiltInRecipes.Text(recipe)
                ?? throw new ArgumentException($"no built-in recipe '{recipe}'; built-in: {string.Join(", ", BuiltInRecipes.Names)}.");
            var target = parse.GetValue(destination)!;
            if (Directory.Exists(target))
                target = Path.Combine(target, recipe + ".yaml");
            if (File.Exists(target))
                throw new IOException($"{target} exists; not overwritten.");
            File.WriteAllText(target, text);
            output.WriteLine($"wrote {Path.GetFullPath(target)}");
            return 0;
        });
        return command;
    }
}
