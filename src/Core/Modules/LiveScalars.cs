using TorchSharp;

namespace MMAdapt.Core.Modules;

/// <summary>
/// Scalars that live as long as the process, for hot tensor operations.
/// </summary>
/// <remarks>TorchSharp 0.107 makes a temporary <see cref="Scalar"/> for every <c>tensor + number</c>, and for the
/// <c>alpha</c> of every <c>tensor + tensor</c> (<c>add(t)</c> calls <c>add(t, 1)</c>). Once its handle is read the
/// temporary is unreachable, so a garbage collection forced by another thread (a prefetcher) can finalize it while
/// the native call still reads it, which fails as "Unknown scalar type" or worse (dotnet/TorchSharp#1434, open).
/// Passing a Scalar that something still holds closes that window: use <c>a.add(b, LiveScalars.One)</c> and
/// Scalar fields in hot paths.</remarks>
public static class LiveScalars
{
    /// <summary>1, the <c>alpha</c> of a plain addition.</summary>
    public static Scalar One { get; } = 1.ToScalar();

    /// <summary>2, the power of a square.</summary>
    public static Scalar Two { get; } = 2.ToScalar();
}
