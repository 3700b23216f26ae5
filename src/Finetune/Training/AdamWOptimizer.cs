using MMAdapt.Core.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMAdapt.Finetune.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter, 2019) with PyTorch's update, written out so that its whole state (moments and step)
/// can be saved and restored exactly, which a bit-identical resume needs:
/// <c>p ← p·(1 − lr·λ)</c>, <c>m ← β₁m + (1−β₁)g</c>, <c>v ← β₂v + (1−β₂)g²</c>,
/// <c>p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)</c>.
/// </summary>
public sealed class AdamWOptimizer : IDisposable
{
    /// <summary>Parameters that share a learning rate and weight decay.</summary>
    /// <param name="Name">The group's name (for logs).</param>
    /// <param name="Parameters">Named parameters.</param>
    /// <param name="LearningRate">Peak learning rate.</param>
    /// <param name="WeightDecay">Decoupled weight decay λ.</param>
    public sealed record Group(string Name, IReadOnlyList<(string Name, Parameter Parameter)> Parameters, double LearningRate, double WeightDecay);

    private readonly IReadOnlyList<Group> groups;
    private readonly Dictionary<string, (Tensor M, Tensor V)> moments = new(StringComparer.Ordinal);
    private readonly double beta1, beta2, eps;

    /// <summary>Creates the optimiser (moments start at zero).</summary>
    public AdamWOptimizer(IReadOnlyList<Group> groups, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        var names = groups.SelectMany(g => g.Parameters.Select(p => p.Name)).ToList();
        if (names.Count != names.Distinct(StringComparer.Ordinal).Count())
            throw new ArgumentException("a parameter appears in two optimiser groups.");
        this.groups = groups;
        (this.beta1, this.beta2, this.eps) = (beta1, beta2, eps);
    }

    /// <summary>The groups.</summary>
    public IReadOnlyList<Group> Groups => groups;

    /// <summary>Updates taken so far.</summary>
    public int StepCount { get; private set; }

    /// <summary>Clears every gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var group in groups)
            foreach (var (_, p) in group.Parameters)
                p.grad?.zero_();
    }

    /// <summary>Applies one update with each group's learning rate times <paramref name="learningRateFactor"/>
    /// (the schedule); parameters without a gradient are skipped.</summary>
    public void Step(double learningRateFactor)
    {
        StepCount++;
        double correction1 = 1 - Math.Pow(beta1, StepCount), correction2 = Math.Sqrt(1 - Math.Pow(beta2, StepCount));
        using var _ = no_grad();
        foreach (var group in groups)
        {
            double lr = group.LearningRate * learningRateFactor;
            // Explicit Scalars that live until the group is done (see LiveScalars: an implicit one may be finalized
            // during the native call that reads it).
            using Scalar decay = (1 - lr * group.WeightDecay).ToScalar(), b1 = beta1.ToScalar(), g1 = (1 - beta1).ToScalar(),
                b2 = beta2.ToScalar(), g2 = (1 - beta2).ToScalar(), c2 = correction2.ToScalar(), e = eps.ToScalar(),
                stepSize = (-lr / correction1).ToScalar();
            foreach (var (name, p) in group.Parameters)
            {
                if (p.grad is not { } grad)
                    continue;
                var (m, v) = Moments(name, p);
                if (group.WeightDecay != 0)
                    p.mul_(decay);
                m.mul_(b1).add_(grad, alpha: g1);
                v.mul_(b2).addcmul_(grad, grad, value: g2);
                using var denominator = v.sqrt().div_(c2).add_(e, LiveScalars.One);
                p.addcdiv_(m, denominator, value: stepSize);
            }
        }
    }

    private (Tensor M, Tensor V) Moments(string name, Parameter p)
    {
        if (!moments.TryGetValue(name, out var state))
        {
            state = (zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
            moments[name] = state;
        }
        return state;
    }

    /// <summary>The state to save: <c>exp_avg.&lt;name&gt;</c> and <c>exp_avg_sq.&lt;name&gt;</c> (views, not copies).</summary>
    public IReadOnlyDictionary<string, Tensor> StateTensors()
    {
        var state = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, (m, v)) in moments)
        {
            state["exp_avg." + name] = m;
            state["exp_avg_sq." + name] = v;
        }
        return state;
    }

    /// <summary>Restores saved state exactly.</summary>
    /// <exception cref="InvalidDataException">State for a parameter the optimiser does not have, or of the wrong shape.</exception>
    public void LoadState(IReadOnlyDictionary<string, Tensor> state, int stepCount)
    {
        var parameters = groups.SelectMany(g => g.Parameters).ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        foreach (var (key, value) in state)
        {
            var (kind, name) = key.StartsWith("exp_avg_sq.", StringComparison.Ordinal) ? ("v", key["exp_avg_sq.".Length..])
                : key.StartsWith("exp_avg.", StringComparison.Ordinal) ? ("m", key["exp_avg.".Length..])
                : throw new InvalidDataException($"optimizer state '{key}' is neither exp_avg nor exp_avg_sq.");
            if (!parameters.TryGetValue(name, out var p))
                throw new InvalidDataException($"optimizer state '{key}' belongs to no trained parameter (is the recipe the same?).");
            if (!value.shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"optimizer state '{key}': [{string.Join(",", value.shape)}], parameter [{string.Join(",", p.shape)}].");
            var (m, v) = Moments(name, p);
            using var _ = no_grad();
            (kind == "m" ? m : v).copy_(value);
        }
        StepCount = stepCount;
    }

    /// <summary>Frees the moments.</summary>
    public void Dispose()
    {
        foreach (var (m, v) in moments.Values)
        {
            m.Dispose();
            v.Dispose();
        }
        moments.Clear();
    }
}
