using MMAdapt.Finetune.Recipes.Syntax;

namespace MMAdapt.Finetune.Recipes.Schema;

/// <summary>The scalar codecs: strings, paths, whole numbers, numbers, booleans and names from a closed list.</summary>
internal static class ScalarCodecs
{
    /// <summary>Any scalar but null, as its text (<c>name: 2024</c> is the string "2024").</summary>
    public static Codec<string> Text { get; } = new ScalarCodec<string>("a string", s => (!s.IsNull, s.Text), ScalarNode.String);

    /// <summary>A string naming a file or folder: <c>~/</c> is the home folder; a relative path is resolved against the
    /// recipe file's folder when written in the file, else against the current folder (overrides, environment).
    /// Written back absolute (a relative path from code is taken against the current folder).</summary>
    public static Codec<string> FilePath { get; } = new ScalarCodec<string>("a path", s => (!s.IsNull, Resolve(s)),
        v => ScalarNode.String(v.Length == 0 ? v : System.IO.Path.GetFullPath(v)));

    /// <summary>A whole number that fits 32 bits.</summary>
    public static Codec<int> Whole { get; } = new ScalarCodec<int>("a whole number",
        s => s.Kind == ScalarKind.Int && PlainScalar.ToLong(s.Text) is >= int.MinValue and <= int.MaxValue and var v ? (true, (int)v) : (false, 0),
        v => ScalarNode.Plain(v.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A whole number that fits 64 bits.</summary>
    public static Codec<long> Whole64 { get; } = new ScalarCodec<long>("a whole number",
        s => s.Kind == ScalarKind.Int && PlainScalar.ToLong(s.Text) is { } v ? (true, v) : (false, 0L),
        v => ScalarNode.Plain(v.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A number (whole or not, <c>3e-4</c>, <c>.inf</c>).</summary>
    public static Codec<double> Number { get; } = new ScalarCodec<double>("a number",
        s => s.Kind is ScalarKind.Int or ScalarKind.Float ? (true, PlainScalar.ToDouble(s.Text)) : (false, 0.0),
        v => ScalarNode.Plain(PlainScalar.FormatDouble(v)));

    /// <summary><c>true</c> or <c>false</c>.</summary>
    public static Codec<bool> Flag { get; } = new ScalarCodec<bool>("true or false",
        s => s.Kind == ScalarKind.Bool ? (true, PlainScalar.ToBool(s.Text)) : (false, false),
        v => ScalarNode.Plain(v ? "true" : "false"));

    private static string Resolve(ScalarNode scalar)
    {
        var text = scalar.Text;
        if (text.Length == 0)
            return text;
        if (text == "~" || text.StartsWith("~/", StringComparison.Ordinal))
            text = System.IO.Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), text[1..]);
        var folder = scalar.Location.File is { } file ? System.IO.Path.GetDirectoryName(file)! : Environment.CurrentDirectory;
        return System.IO.Path.GetFullPath(text, folder);
    }
}

/// <summary>A scalar codec from a parse function and a write function.</summary>
internal sealed class ScalarCodec<T>(string expected, Func<ScalarNode, (bool Ok, T Value)> parse, Func<T, RecipeNode> write) : Codec<T>
{
    /// <inheritdoc />
    public override string Expected => expected;

    /// <inheritdoc />
    public override bool TryRead(RecipeNode node, string path, BindContext context, out T value)
    {
        if (node is ScalarNode scalar && parse(scalar) is (true, var parsed))
        {
            value = parsed;
            return true;
        }
        return Wrong(node, path, context, out value);
    }

    /// <inheritdoc />
    public override RecipeNode Write(T value) => write(value);
}

/// <summary>A name from a closed list (an enum); a wrong name lists the accepted ones and the closest.</summary>
internal sealed class EnumCodec<T>(params (string Name, T Value)[] names) : Codec<T> where T : struct, Enum
{
    /// <inheritdoc />
    public override string Expected => $"one of {string.Join(", ", names.Select(n => n.Name))}";

    /// <inheritdoc />
    public override bool TryRead(RecipeNode node, string path, BindContext context, out T value)
    {
        if (node is not ScalarNode { IsNull: false } scalar)
            return Wrong(node, path, context, out value);
        foreach (var (name, candidate) in names)
            if (name == scalar.Text)
            {
                value = candidate;
                return true;
            }
        var hint = ClosestName.Find(scalar.Text, names.Select(n => n.Name)) is { } best ? $"; did you mean '{best}'?" : "";
        context.Report(path, node.Location, $"'{scalar.Text}' is not {Expected}{hint}");
        value = default;
        return false;
    }

    /// <inheritdoc />
    public override RecipeNode Write(T value) => ScalarNode.String(names.First(n => n.Value.Equals(value)).Name);
}
