using TorchSharp;
using static TorchSharp.torch;

namespace MMAdapt.Models.Generation;

/// <summary>
/// Keys and values of past tokens for incremental decoding, one preallocated buffer pair per layer
/// (<c>[batch, kvHeads, capacity, headDim]</c>), so each step writes its new slice in place instead of
/// concatenating (which would copy the whole cache every token).
/// </summary>
/// <remarks>
/// A forward pass calls <see cref="Append"/> once per layer, then the model calls <see cref="Advance"/>
/// with the number of new tokens. The buffers are detached from any dispose scope and freed by
/// <see cref="Dispose"/>.
/// </remarks>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] keys, values;

    /// <summary>Creates an empty cache for <paramref name="layers"/> layers and up to <paramref name="capacity"/> tokens.</summary>
    public KvCache(int layers, long capacity)
    {
        if (layers <= 0 || capacity <= 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"A KV cache needs layers > 0 and capacity > 0 (got {layers}, {capacity}).");
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
        Capacity = capacity;
    }

    /// <summary>Tokens the cache can hold.</summary>
    public long Capacity { get; }

    /// <summary>Tokens already cached (the position of the next token).</summary>
    public long Length { get; private set; }

    /// <summary>Writes this step's keys and values <c>[batch, kvHeads, new, headDim]</c> for one layer and
    /// returns views of everything cached so far including them: <c>[batch, kvHeads, Length + new, headDim]</c>.</summary>
    /// <exception cref="InvalidOperationException">The step would overflow <see cref="Capacity"/>.</exception>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        long added = newKeys.shape[2];
        if (Length + added > Capacity)
            throw new InvalidOperationException($"KV cache overflow: {Length} cached + {added} new tokens exceeds the capacity of {Capacity}.");
        var k = keys[layer] ??= Allocate(newKeys);
        var v = values[layer] ??= Allocate(newValues);
        if (k.shape[0] != newKeys.shape[0])
            throw new InvalidOperationException($"KV cache was built for batch {k.shape[0]}, got {newKeys.shape[0]}.");
        using (no_grad())
        {
            using var kSlot = k.narrow(2, Length, added);
            using var vSlot = v.narrow(2, Length, added);
            kSlot.copy_(newKeys);
            vSlot.copy_(newValues);
        }
        return (k.narrow(2, 0, Length + added), v.narrow(2, 0, Length + added));
    }

    /// <summary>Records that <paramref name="tokens"/> new tokens were appended to every layer.</summary>
    public void Advance(long tokens) => Length += tokens;

    private Tensor Allocate(Tensor like)
    {
        var buffer = zeros([like.shape[0], like.shape[1], Capacity, like.shape[3]], dtype: like.dtype, device: like.device);
        return buffer.DetachFromDisposeScope();
    }

    /// <summary>Frees the buffers.</summary>
    public void Dispose()
    {
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i]?.Dispose();
            values[i]?.Dispose();
            keys[i] = values[i] = null;
        }
    }
}
