using static TorchSharp.torch;

namespace MMAdapt.Connectors;

/// <summary>One row of the connector table: the <c>type</c> name, its options record and how it builds the module.</summary>
/// <param name="Name">The <c>type</c> value (<c>mlp</c>).</param>
/// <param name="OptionsType">The sealed options record.</param>
/// <param name="Build">Builds the module from validated options and the widths.</param>
internal sealed record ConnectorType(string Name, Type OptionsType,
    Func<ConnectorOptions, long, long, ScalarType, Device?, Generator?, Connector> Build)
{
    /// <summary>A row for options record <typeparamref name="T"/>, named by its <see cref="ConnectorOptions.Type"/>.</summary>
    public static ConnectorType Of<T>(Func<T, long, long, ScalarType, Device?, Generator?, Connector> build) where T : ConnectorOptions, new() =>
        new(new T().Type, typeof(T), (o, i, u, t, d, g) => build((T)o, i, u, t, d, g));
}
