using static TorchSharp.torch;

namespace MMAdapt.Adapters.Routing;

/// <summary>
/// An auxiliary router loss: immutable options, one record per kind, chosen from the table in
/// <see cref="AuxLosses"/>; composable (a recipe lists several, each with its coefficient).
/// </summary>
/// <remarks><see cref="Compute"/> returns the UNWEIGHTED loss; callers multiply by <see cref="Coefficient"/>
/// (<see cref="AuxLossSet"/> does, and adds ReMoE's adaptive factor for <see cref="ReluL1"/>). Padding rows
/// (token mask 0) never count. No loss synchronises with the device.</remarks>
public abstract record AuxLoss
{
    /// <summary>The loss's name in specs and in <c>AuxSink</c> names, e.g. <c>load_balance</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The weight the caller multiplies the loss by (≥ 0).</summary>
    public double Coefficient { get; init; } = 1.0;

    /// <summary>Computes the unweighted loss.</summary>
    /// <param name="decision">The router's decision for <c>N</c> tokens.</param>
    /// <param name="tokenMask">Real tokens <c>[N]</c> (bool or 0/1), or null when all are real.</param>
    /// <returns>A scalar tensor (0-d) that carries gradients to the router.</returns>
    public abstract Tensor Compute(RouterDecision decision, Tensor? tokenMask);

    /// <summary>Checks the options against an expert count.</summary>
    /// <param name="experts">Number of experts E.</param>
    /// <exception cref="ArgumentException">Naming the loss and the option.</exception>
    public virtual void Validate(int experts)
    {
        if (experts < 1)
            throw new ArgumentException($"{Name}: the number of experts must be at least 1, got {experts}.", nameof(experts));
        if (!(Coefficient >= 0) || double.IsInfinity(Coefficient))
            throw new ArgumentException($"{Name}: coef = {Coefficient} must be a number >= 0.", nameof(Coefficient));
    }

    /// <summary>The spec that <see cref="AuxLosses.Parse"/> reads back into an equal record, e.g.
    /// <c>z_loss:coef=0.001</c> (losses with more options add them).</summary>
    public virtual string ToSpec() => SpecFormat.Of(Name, ("coef", Coefficient));

    /// <summary>Validates against the decision's expert count and returns it.</summary>
    protected int CheckDecision(RouterDecision decision)
    {
        Validate(decision.Experts);
        return decision.Experts;
    }
}
