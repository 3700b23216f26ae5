using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Pretraining;

/// <summary>
/// One linear classifier per attribute over a pooled feature vector (a tower's pretraining objective; discarded after).
/// Loss: the sum over attributes of the cross-entropy of <c>W_a x + b_a</c> against label <c>a</c>.
/// </summary>
internal sealed class AttributeHeads : nn.Module
{
    private readonly ModuleList<Linear> heads = new();

    /// <summary>Creates heads of <paramref name="classes"/>[a] outputs each over <paramref name="hidden"/> features.</summary>
    public AttributeHeads(int hidden, IReadOnlyList<int> classes) : base(nameof(AttributeHeads))
    {
        foreach (int count in classes)
            heads.Add(nn.Linear(hidden, count));
        RegisterComponents();
    }

    /// <summary>Summed cross-entropy of every head.</summary>
    /// <param name="pooled"><c>[batch, hidden]</c></param>
    /// <param name="labels"><c>[batch, attributes]</c> class indices (int64).</param>
    public Tensor Loss(Tensor pooled, Tensor labels)
    {
        Tensor? total = null;
        for (int a = 0; a < heads.Count; a++)
        {
            var loss = nn.functional.cross_entropy(heads[a].call(pooled), labels.select(1, a));
            total = total is null ? loss : total + loss;
        }
        return total!;
    }

    /// <summary>How many predictions of each head equal the label.</summary>
    /// <param name="pooled"><c>[batch, hidden]</c></param>
    /// <param name="labels"><c>[batch, attributes]</c></param>
    public long[] Correct(Tensor pooled, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return heads.Select((head, a) => head.call(pooled).argmax(1).eq(labels.select(1, a)).sum().item<long>()).ToArray();
    }
}
