using static TorchSharp.torch;

namespace MMAdapt.Finetune.Pretraining;

/// <summary>Tower inputs with one class index per attribute, for pretraining or measuring a tower.</summary>
/// <param name="Inputs"><c>[examples, ...]</c>: pixel values or log-mel features, as the tower takes them.</param>
/// <param name="Labels"><c>[examples, attributes]</c> int64 class indices.</param>
internal sealed record LabelledExamples(Tensor Inputs, Tensor Labels) : IDisposable
{
    /// <summary>Stacks per-example inputs and label rows (the lists' tensors are not disposed).</summary>
    public static LabelledExamples Stack(IReadOnlyList<Tensor> inputs, IReadOnlyList<long[]> labels) =>
        new(stack(inputs.ToArray()), tensor(labels.SelectMany(l => l).ToArray()).reshape(labels.Count, labels[0].Length));

    /// <summary>Number of examples.</summary>
    public int Count => (int)Inputs.shape[0];

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}
