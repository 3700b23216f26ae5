using MMAdapt.Finetune.Multimodal;
using MMAdapt.Finetune.Training;
using Xunit;

namespace MMAdapt.Tests.Finetune.Training;

public class ExampleStreamTests
{
    // Example i encodes to a one-token sample holding i, after a random delay (so workers finish out of order);
    // every seventh is skipped, as a too-long sample is.
    private sealed class SlowExamples(int count) : ITrainingExamples
    {
        public int Count => count;

        public EncodedSample? Encode(int index)
        {
            Thread.Sleep(Random.Shared.Next(3));
            return index % 7 == 3 ? null : new EncodedSample([index], [index], [0], [true], [], $"row {index}");
        }

        public CheckableQuestion? Question(int index) => null;

        public void CheckClassLabels(int labels) { }
    }

    // What sequential, unprefetched consumption gives: the seeded order with skipped examples passed over.
    private static List<List<int>> Sequential(int count, long seed, int batches, int size, DataPosition? position = null)
    {
        position ??= new DataPosition(count, seed);
        var result = new List<List<int>>();
        for (int b = 0; b < batches; b++)
        {
            var batch = new List<int>();
            while (batch.Count < size)
                if (position.Next() is var i && i % 7 != 3)
                    batch.Add(i);
            result.Add(batch);
        }
        return result;
    }

    [Fact]
    public void Batches_follow_the_seeded_order_across_epochs_and_the_position_counts_only_what_was_taken()
    {
        const int count = 23, size = 4, batches = 15; // about three epochs
        var position = new DataPosition(count, seed: 5);
        using var stream = new ExampleStream(new SlowExamples(count), position, degree: 3, capacity: 8);
        var batchesSeen = Enumerable.Range(0, batches).Select(_ => stream.NextBatch(size).Select(s => s.Ids[0]).ToList()).ToList();
        Assert.Equal(Sequential(count, 5, batches, size), batchesSeen);

        var reference = new DataPosition(count, seed: 5);
        Sequential(count, 5, batches, size, reference);
        Assert.Equal((reference.Epoch, reference.Offset), (position.Epoch, position.Offset));
    }

    [Fact]
    public void A_stream_started_from_a_saved_position_continues_as_the_uninterrupted_one()
    {
        const int count = 23, size = 4;
        var first = new DataPosition(count, seed: 9);
        List<List<int>> uninterrupted;
        using (var stream = new ExampleStream(new SlowExamples(count), first, degree: 2, capacity: 4))
            uninterrupted = Enumerable.Range(0, 12).Select(_ => stream.NextBatch(size).Select(s => s.Ids[0]).ToList()).ToList();

        var saved = new DataPosition(count, seed: 9);
        using (var stream = new ExampleStream(new SlowExamples(count), saved, degree: 2, capacity: 4))
            for (int b = 0; b < 7; b++)
                stream.NextBatch(size);
        var resumed = new DataPosition(count, seed: 9);
        resumed.MoveTo(saved.Epoch, saved.Offset);
        using (var stream = new ExampleStream(new SlowExamples(count), resumed, degree: 2, capacity: 4))
            Assert.Equal(uninterrupted.Skip(7), Enumerable.Range(0, 5).Select(_ => stream.NextBatch(size).Select(s => s.Ids[0]).ToList()));
    }

    [Fact]
    public void A_dataset_whose_every_example_is_skipped_is_an_error_not_a_hang()
    {
        var none = new NoneEncode();
        using var stream = new ExampleStream(none, new DataPosition(none.Count, 0), degree: 1, capacity: 2);
        Assert.Contains("every training example is being skipped", Assert.Throws<InvalidDataException>(() => stream.NextBatch(2)).Message);
    }

    private sealed class NoneEncode : ITrainingExamples
    {
        public int Count => 5;
        public EncodedSample? Encode(int index) => null;
        public CheckableQuestion? Question(int index) => null;
        public void CheckClassLabels(int labels) { }
    }
}
