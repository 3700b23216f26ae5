using System.Collections.Concurrent;
using System.Diagnostics;
using MMAdapt.Finetune.Data;
using Xunit;

namespace MMAdapt.Tests.Finetune.Data;

public class PrefetcherTests
{
    [Fact]
    public void Results_come_in_item_order_whatever_order_they_finish_in()
    {
        int[] items = [5, 3, 9, 0, 7, 1, 8, 2];
        // Early items are the slow ones, so later ones finish first.
        using var prefetcher = new Prefetcher<string>(items, i => { Thread.Sleep(i % 3 * 15); return $"item {i}"; }, degree: 3);
        Assert.Equal(items.Select(i => $"item {i}"), prefetcher.ToList());
    }

    [Fact]
    public void Work_overlaps_across_workers_and_with_the_consumer()
    {
        const int count = 8, produceMs = 80, consumeMs = 40;
        var items = Enumerable.Range(0, count).ToArray();
        var clock = Stopwatch.StartNew();
        using (var prefetcher = new Prefetcher<int>(items, i => { Thread.Sleep(produceMs); return i; }, degree: 4))
        {
            foreach (var _ in prefetcher)
                Thread.Sleep(consumeMs);
        }
        // Sequential: 8 x (80 + 40) = 960 ms. Overlapped: about 8 x 40 + 80 = 400 ms.
        Assert.True(clock.ElapsedMilliseconds < 0.7 * count * (produceMs + consumeMs), $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void At_most_capacity_results_are_made_ahead_of_the_consumer()
    {
        int started = 0;
        using var prefetcher = new Prefetcher<int>(Enumerable.Range(0, 50).ToArray(), i => { Interlocked.Increment(ref started); return i; }, degree: 2, capacity: 3);
        using var e = prefetcher.GetEnumerator();
        Assert.True(e.MoveNext());
        Thread.Sleep(100);
        // Taken: 1; held or in production: at most 3 more (the slot of the taken one was released).
        Assert.InRange(Volatile.Read(ref started), 1, 4);
    }

    [Fact]
    public void A_producer_exception_reaches_the_consumer_at_its_place_naming_the_item()
    {
        int[] items = [10, 11, 12, 13, 14, 15];
        using var prefetcher = new Prefetcher<int>(items, i => i == 13 ? throw new InvalidDataException("bad row") : i);
        var seen = new List<int>();
        var error = Assert.Throws<PrefetchException>(() =>
        {
            foreach (var value in prefetcher)
                seen.Add(value);
        });
        Assert.Equal([10, 11, 12], seen);
        Assert.Equal(13, error.Item);
        Assert.Equal(3, error.Position);
        Assert.IsType<InvalidDataException>(error.InnerException);
        Assert.Contains("item 13", error.Message);
        Assert.Contains("bad row", error.Message);
    }

    [Fact]
    public void Cancelling_mid_stream_stops_the_workers_and_the_consumer()
    {
        using var cancel = new CancellationTokenSource();
        int produced = 0;
        using var prefetcher = new Prefetcher<int>(Enumerable.Range(0, 1000).ToArray(), (i, token) =>
        {
            token.WaitHandle.WaitOne(20);
            token.ThrowIfCancellationRequested();
            Interlocked.Increment(ref produced);
            return i;
        }, degree: 2, cancellationToken: cancel.Token);

        var seen = new List<int>();
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var value in prefetcher)
            {
                seen.Add(value);
                if (seen.Count == 5)
                    cancel.Cancel();
            }
        });
        Assert.Equal([0, 1, 2, 3, 4], seen);
        int after = Volatile.Read(ref produced);
        Thread.Sleep(100);
        Assert.Equal(after, Volatile.Read(ref produced));
        Assert.True(after < 20, $"{after} items produced");
    }

    [Fact]
    public void Disposing_mid_stream_waits_for_producers_and_disposes_unconsumed_results()
    {
        var made = new ConcurrentBag<Tracked>();
        var prefetcher = new Prefetcher<Tracked>(Enumerable.Range(0, 100).ToArray(), i =>
        {
            Thread.Sleep(5);
            var tracked = new Tracked(i);
            made.Add(tracked);
            return tracked;
        }, degree: 2, capacity: 4);
        var taken = prefetcher.Take(3).ToList();
        Thread.Sleep(50); // let the workers fill the window
        prefetcher.Dispose();

        int count = made.Count;
        Thread.Sleep(50);
        Assert.Equal(count, made.Count); // nothing runs after Dispose returns
        Assert.InRange(count, 3, 3 + 4);
        Assert.All(taken, t => Assert.False(t.Disposed));
        Assert.All(made.Where(t => t.Index >= 3), t => Assert.True(t.Disposed, $"item {t.Index} was not disposed"));
        prefetcher.Dispose(); // twice is fine
    }

    [Fact]
    public void It_enumerates_once_and_checks_its_arguments()
    {
        using var prefetcher = new Prefetcher<int>([1, 2], i => i);
        Assert.Equal([1, 2], prefetcher.ToList());
        Assert.Throws<InvalidOperationException>(() => prefetcher.ToList());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Prefetcher<int>([1], i => i, degree: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Prefetcher<int>([1], i => i, degree: 4, capacity: 2));
        using var empty = new Prefetcher<int>([], i => i);
        Assert.Empty(empty);
    }

    private sealed class Tracked(int index) : IDisposable
    {
        public int Index { get; } = index;

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
