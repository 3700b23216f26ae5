using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace MMAdapt.Adapters.Persistence;

/// <summary>An <see cref="IAdapterKind"/> for one adapter type <typeparamref name="T"/>: handles exactly that type and
/// describes it typed.</summary>
/// <typeparam name="T">The adapter type.</typeparam>
public abstract class AdapterKind<T> : IAdapterKind where T : nn.Module
{
    /// <inheritdoc />
    public abstract string Kind { get; }

    /// <inheritdoc />
    public bool Handles(nn.Module adapter) => adapter is T;

    /// <inheritdoc />
    public JsonObject Describe(nn.Module adapter) => Describe((T)adapter);

    /// <summary>The settings that rebuild <paramref name="adapter"/>.</summary>
    protected abstract JsonObject Describe(T adapter);

    /// <inheritdoc />
    public abstract nn.Module Create(JsonObject settings, AdapterPlacement placement, string source);
}
