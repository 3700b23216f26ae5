using MMAdapt.Core.Modules;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMAdapt.Tests.Connectors;

public class ConnectorTrainingTests
{
    /// <summary>One training pass: a random loss on the output plus the aux losses, then backward.</summary>
    private static void Step(MMAdapt.Connectors.Connector connector, int seed)
    {
        using var scope = NewDisposeScope();
        var context = new ForwardContext { Training = true, AttentionMask = ones(2, 11).index_put_(zeros(1), tensor(new long[] { 1 }), arange(8, 11)) };
        using var sink = context.Sink;
        var y = connector.Forward(ConnectorCases.Features(2, 11, seed), context);
        var loss = (y * randn(y.shape, generator: new Generator((ulong)seed))).sum();
        if (sink.TotalLoss() is { } aux)
            loss = loss + aux;
        loss.backward();
    }

    [Theory, MemberData(nameof(ConnectorCases.Names), MemberType = typeof(ConnectorCases))]
    public void Every_parameter_gets_a_nonzero_gradient(string name)
    {
        using var connector = ConnectorCases.Create(name);
        connector.train();
        Step(connector, 1);
        var parameters = connector.named_parameters().ToList();
        Assert.NotEmpty(parameters);
        foreach (var (key, parameter) in parameters)
        {
            using var grad = parameter.grad;
            Assert.True(grad is not null && grad.abs().sum().item<float>() > 0, $"{name}: {key} got no gradient");
        }
    }

    [Theory, MemberData(nameof(ConnectorCases.Names), MemberType = typeof(ConnectorCases))]
    public void Repeated_training_steps_leave_no_tensor_behind(string name)
    {
        using var connector = ConnectorCases.Create(name);
        connector.train();
        Step(connector, 1);                                  // the first backward allocates the gradients
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int step = 2; step < 6; step++)
            Step(connector, step);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
