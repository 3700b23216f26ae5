using System.Collections;

namespace MMAdapt.Finetune.Data;

/// <summary>
/// Produces items on background threads while the consumer works on earlier ones: <see cref="Degree"/>
/// worker threads call the producer for the item indices in order, at most <see cref="Capacity"/> results
/// are held ahead of the consumer, and enumeration yields the results in the order of the indices.
/// </summary>
/// <remarks>
/// <para>Workers start in the constructor, so the first items are being made before the consumer asks.
/// The instance is enumerable once.</para>
/// <para>A producer exception reaches the consumer at that item's place in the stream, as a
/// <see cref="PrefetchException"/> naming the item index (earlier items are still yielded); no later item is
/// started after a failure. Cancelling the token or disposing stops the workers: a waiting consumer gets
/// <see cref="OperationCanceledException"/> (or <see cref="ObjectDisposedException"/>), the producer sees the
/// token through its second argument, <see cref="Dispose"/> waits for producer calls in flight, and results
/// made but never consumed are disposed when they are <see cref="IDisposable"/>.</para>
/// </remarks>
/// <typeparam name="T">What the producer makes from one item index.</typeparam>
public sealed class Prefetcher<T> : IEnumerable<T>, IDisposable
{
    private readonly IReadOnlyList<int> items;
    private readonly Func<int, CancellationToken, T> producer;
    private readonly Slot[] ring;
    private readonly SemaphoreSlim free;
    private readonly CancellationTokenSource stop;
    private readonly CancellationTokenRegistration wake;
    private readonly Thread[] workers;
    private readonly object gate = new();
    private int next;
    private bool failed;
    private bool disposed;
    private int enumerated;

    /// <summary>Starts producing <paramref name="items"/>.</summary>
    /// <param name="items">Item indices (e.g. <see cref="EpochOrder.ForEpoch"/>), produced and yielded in this order.</param>
    /// <param name="producer">Makes the result for one item index; called from worker threads, concurrently.</param>
    /// <param name="degree">Worker threads (at least 1).</param>
    /// <param name="capacity">Results held ahead of the consumer, the ones in production included (at least
    /// <paramref name="degree"/>; default twice <paramref name="degree"/>).</param>
    /// <param name="cancellationToken">Stops production and enumeration.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="degree"/> or <paramref name="capacity"/> is too small.</exception>
    public Prefetcher(IReadOnlyList<int> items, Func<int, CancellationToken, T> producer, int degree = 2, int? capacity = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentOutOfRangeException.ThrowIfLessThan(degree, 1);
        int held = capacity ?? 2 * degree;
        ArgumentOutOfRangeException.ThrowIfLessThan(held, degree, nameof(capacity));
        this.items = items;
        this.producer = producer;
        Degree = degree;
        Capacity = held;
        ring = new Slot[held];
        free = new SemaphoreSlim(held, held);
        stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wake = stop.Token.Register(() => { lock (gate) Monitor.PulseAll(gate); });
        workers = new Thread[Math.Min(degree, Math.Max(items.Count, 1))];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = new Thread(Work) { IsBackground = true, Name = $"prefetch-{w}" };
            workers[w].Start();
        }
    }

    /// <summary>A prefetcher whose producer ignores cancellation.</summary>
    /// <inheritdoc cref="Prefetcher{T}(IReadOnlyList{int}, Func{int, CancellationToken, T}, int, int?, CancellationToken)"/>
    public Prefetcher(IReadOnlyList<int> items, Func<int, T> producer, int degree = 2, int? capacity = null,
        CancellationToken cancellationToken = default)
        : this(items, WithoutToken(producer), degree, capacity, cancellationToken)
    {
    }

    /// <summary>Worker threads.</summary>
    public int Degree { get; }

    /// <summary>Results held ahead of the consumer, in production or done.</summary>
    public int Capacity { get; }

    /// <summary>Items in the stream.</summary>
    public int Count => items.Count;

    /// <summary>Yields the results in item order, waiting for each as needed.</summary>
    /// <exception cref="PrefetchException">The producer failed on an item (thrown at that item's place).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The prefetcher was disposed.</exception>
    /// <exception cref="InvalidOperationException">The prefetcher was already enumerated.</exception>
    public IEnumerator<T> GetEnumerator()
    {
        if (Interlocked.Exchange(ref enumerated, 1) != 0)
            throw new InvalidOperationException("a Prefetcher is enumerable once; create a new one for another pass.");
        return Consume();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Stops the workers, waits for producer calls in flight and disposes unconsumed results.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
                return;
            disposed = true;
        }
        stop.Cancel();
        foreach (var worker in workers)
            worker.Join();
        wake.Dispose();
        for (int i = 0; i < ring.Length; i++)
        {
            if (ring[i].Ready && ring[i].Value is IDisposable disposable)
                disposable.Dispose();
            ring[i] = default;
        }
        free.Dispose();
        stop.Dispose();
    }

    private IEnumerator<T> Consume()
    {
        for (int position = 0; position < items.Count; position++)
        {
            Slot slot;
            lock (gate)
            {
                ref var waiting = ref ring[position % ring.Length];
                while (true)
                {
                    ObjectDisposedException.ThrowIf(disposed, this);
                    stop.Token.ThrowIfCancellationRequested();
                    if (waiting.Ready)
                        break;
                    Monitor.Wait(gate);
                }
                slot = waiting;
                waiting = default;
            }

            if (slot.Error is not null)
                throw new PrefetchException(items[position], position, items.Count, slot.Error);
            free.Release();
            yield return slot.Value!;
        }
    }

    private void Work()
    {
        var token = stop.Token;
        while (true)
        {
            try
            {
                free.Wait(token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            int position;
            lock (gate)
            {
                if (failed || next >= items.Count)
                    return;
                position = next++;
            }

            var slot = new Slot { Ready = true };
            try
            {
                slot.Value = producer(items[position], token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                slot.Error = e;
            }

            lock (gate)
            {
                if (disposed)
                {
                    (slot.Value as IDisposable)?.Dispose();
                    return;
                }
                failed |= slot.Error is not null;
                ring[position % ring.Length] = slot;
                Monitor.PulseAll(gate);
            }
        }
    }

    private static Func<int, CancellationToken, T> WithoutToken(Func<int, T> producer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        return (item, _) => producer(item);
    }

    private struct Slot
    {
        public bool Ready;
        public T? Value;
        public Exception? Error;
    }
}
