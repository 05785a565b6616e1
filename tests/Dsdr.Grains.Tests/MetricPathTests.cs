using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Grains.Running;
using Dsdr.Runner.Simulation;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class MetricPathTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_checkpoint_is_recorded_only_after_the_metrics_before_it_are_flushed()
    {
        var sink = new GatedSink();
        await using var h = await StartAsync([Node("node-a", Cpu(0))], metricSink: sink);
        var plan = Plan(steps: 10, stepMs: 5, checkpointEvery: 5);
        await h.SubmitAsync("gate", [Trial("gate", "gate-t0", plan)]);

        // The runner reached its first checkpoint and is flushing: the trial must not know the checkpoint yet.
        await sink.FlushCalled.Task.WaitAsync(Timeout);
        Assert.Equal(5, sink.Inner.Of("gate-t0").Keys.Max(k => k.Step));
        var during = await h.Client.GetGrain<ITrialGrain>("gate-t0").GetAsync();
        Assert.Equal((TrialStatus.Running, 0, null), (during.Status, during.LastCheckpointStep, during.LastCheckpointPath));

        sink.Release.SetResult();
        var done = await h.WaitForTrialAsync("gate-t0", t => t.Status == TrialStatus.Completed, Timeout, "the trial to complete");
        Assert.Equal(5, done.LastCheckpointStep);
        Assert.Equal(ExpectedMetrics("gate-t0", plan).Count, sink.Inner.Of("gate-t0").Count);
        Assert.True(sink.Flushes >= 2, $"{sink.Flushes} flush(es): one before the checkpoint, one before the attempt's end");
    }

    /// <summary>An in-memory sink whose flushes wait until the test releases them.</summary>
    private sealed class GatedSink : ITrialMetricSink
    {
        private int _flushes;

        public InMemoryTrialMetricSink Inner { get; } = new();
        public TaskCompletionSource FlushCalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Flushes => Volatile.Read(ref _flushes);

        public ValueTask WriteAsync(string trialId, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default) =>
            Inner.WriteAsync(trialId, step, metrics, cancellationToken);

        public ValueTask WriteEvalFiguresAsync(string trialId, int step, IReadOnlyList<Dsdr.Core.Results.EvalFigureValue> figures,
            CancellationToken cancellationToken = default) => Inner.WriteEvalFiguresAsync(trialId, step, figures, cancellationToken);

        public ValueTask WriteEvalProblemsAsync(string trialId, int step, IReadOnlyList<Dsdr.Core.Results.ProblemEvalOutcome> problems,
            CancellationToken cancellationToken = default) => Inner.WriteEvalProblemsAsync(trialId, step, problems, cancellationToken);

        public async Task FlushAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _flushes);
            FlushCalled.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }
    }
}
