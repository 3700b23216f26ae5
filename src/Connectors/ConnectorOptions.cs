using System.Text.Json.Serialization;

namespace MMAdapt.Connectors;

/// <summary>
/// What a recipe asks for when it names a connector: one sealed, immutable record per connector type, with
/// snake_case <c>[JsonPropertyName]</c> properties that all have defaults. <see cref="ConnectorFactory.Parse"/> and
/// <see cref="ConnectorFactory.Write"/> turn them into JSON (<c>{"type": "mlp", "depth": 2}</c>) and back;
/// <see cref="ConnectorFactory.Create"/> validates them once and hands the resolved scalars to the module.
/// </summary>
/// <remarks>Widths are not options: the encoder width and the LLM hidden size come from the models the connector
/// joins and are passed to <see cref="ConnectorFactory.Create"/>.</remarks>
public abstract record ConnectorOptions
{
    /// <summary>The connector type, as the <c>type</c> key of the JSON and the row of <see cref="ConnectorFactory.Types"/>
    /// (<c>mlp</c>, <c>moe</c>, ...).</summary>
    [JsonIgnore] public abstract string Type { get; }

    /// <summary>Checks the values that do not depend on the widths; called once by <see cref="ConnectorFactory.Create"/> and
    /// <see cref="ConnectorFactory.Parse"/>.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the connector type and the key.</exception>
    public virtual void Validate() { }

    /// <summary>Throws when <paramref name="condition"/> is false, naming the type, the key, the requirement and the value.</summary>
    /// <param name="condition">What must hold.</param>
    /// <param name="key">The JSON key (<c>depth</c>).</param>
    /// <param name="requirement">What the value must be (<c>at least 1</c>).</param>
    /// <param name="value">The value given.</param>
    /// <exception cref="ArgumentException">The condition is false.</exception>
    protected void Require(bool condition, string key, string requirement, object? value)
    {
        if (!condition)
            throw new ArgumentException($"{Type} connector: '{key}' must be {requirement}, got {Show(value)}.", key);
    }

    /// <summary>A value as a recipe shows it: strings quoted, booleans lower case.</summary>
    internal static string Show(object? value) => value switch
    {
        null => "null",
        string text => $"'{text}'",
        bool flag => flag ? "true" : "false",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
    };

    /// <summary>An exception's message without the <c>(Parameter 'x')</c> that <see cref="ArgumentException"/> appends.</summary>
    internal static string Plain(Exception e)
    {
        var suffix = e is ArgumentException { ParamName: { } name } ? $" (Parameter '{name}')" : null;
        return suffix is not null && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
    }
}
