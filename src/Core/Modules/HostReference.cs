namespace MMAdapt.Core.Modules;

/// <summary>
/// Holds an adapter's host projection without making it a submodule: TorchSharp's <c>RegisterComponents</c>
/// registers every field whose value is a module, which would put the host under its own adapter (a cycle).
/// </summary>
internal sealed class HostReference
{
    public IAdapterHost? Value { get; set; }
}
