using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// What a router decided for <c>N</c> tokens and <c>E</c> experts. Every tensor is <c>[N, E]</c> unless noted.
/// </summary>
/// <remarks>
/// <para><see cref="Probabilities"/> is always <c>softmax(Logits)</c> over the experts, whatever the strategy
/// (for <see cref="Relu"/> and <see cref="TopAny"/> too): it is the distribution that probability-based
/// aux losses (<see cref="SwitchLoadBalance"/>, entropies, CV²) and <see cref="RoutingStatistics"/> read.
/// What the mixture multiplies expert outputs by is <see cref="Gates"/>.</para>
/// <para>The decision does not own its tensors: they live in the caller's dispose scope
/// (<see cref="TokenRouter.Forward"/> moves them to the scope around the call).</para>
/// </remarks>
/// <param name="Logits">The router logits the strategy saw (after temperature and, for
/// <see cref="NoisyTopK"/>, before the noise), <c>[N, E]</c>.</param>
/// <param name="Probabilities"><c>softmax(Logits)</c> over experts, <c>[N, E]</c>.</param>
/// <param name="Gates">The combine weights of the mixture, <c>[N, E]</c>, exactly zero where a
/// (token, expert) pair is not selected; differentiable with respect to the logits.</param>
/// <param name="Selected">A float 0/1 mask <c>[N, E]</c> of the chosen (token, expert) pairs (no gradient).</param>
public sealed record RouterDecision(Tensor Logits, Tensor Probabilities, Tensor Gates, Tensor Selected)
{
    /// <summary>
    /// Shazeer et al. (2017)'s smooth load estimate for <see cref="NoisyTopK"/> in training: the probability
    /// <c>[N, E]</c> that expert <c>e</c> would still be in token <c>t</c>'s top k under a new draw of the noise,
    /// <c>Φ((clean_te − kth_excluding_te) / std_te)</c>. Null for every other strategy (and for noisy top-k
    /// outside training); <see cref="Cv2Load"/> then counts <see cref="Selected"/>.
    /// </summary>
    public Tensor? Load { get; init; }

    /// <summary>Number of tokens <c>N</c>.</summary>
    public long Tokens => Logits.shape[0];

    /// <summary>Number of experts <c>E</c>.</summary>
    public int Experts => (int)Logits.shape[1];

    /// <summary>Moves each distinct tensor of the decision once to the dispose scope around the one that owns it
    /// (as <c>Tensor.MoveToOuterDisposeScope</c> does) and returns the decision. For code that created every
    /// tensor of the decision, logits included, in its current scope.</summary>
    public RouterDecision MoveToOuterDisposeScope()
    {
        var moved = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var tensor in new[] { Logits, Probabilities, Gates, Selected, Load })
            if (tensor is not null && moved.Add(tensor))
                tensor.MoveToOuterDisposeScope();
        return this;
    }
}
