using System.Diagnostics.Metrics;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Runner.Simulation;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

/// <summary>The meter "Dsdr" as the grains feed it: trial throughput from the slots, the pool's slots and queue from the scheduler.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GrainMetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    [Fact]
    public void UtilizationIsBusyOverOnline()
    {
        Assert.Equal(0.5, new DsdrGrainMetrics.PoolReading(Queued: 3, Idle: 1, Busy: 1, Offline: 4).Utilization);
        Assert.Equal(0, new DsdrGrainMetrics.PoolReading(Queued: 3, Idle: 0, Busy: 0, Offline: 2).Utilization);
        Assert.Equal("interrupted", DsdrGrainMetrics.OutcomeName(AttemptEnd.Interrupted));
    }

    [Fact]
    public async Task CountsEndedAttemptsAndStepsAndGaugesTheQueueAndSlots()
    {
        const string node = "meter-node";
        using var meter = new MeterRecorder(node);
        await using var harness = await StartAsync([Node(node, Cpu(0))]);

        // One slot, two trials: the long one runs while the other waits in the queue.
        var longTrial = Trial("meters", "meters-long", Plan(steps: 8, stepMs: 150));
        var failing = Trial("meters", "meters-crash", Plan(steps: 4, stepMs: 10, checkpointEvery: 0, new SimulatedFault(1, 3, SimulatedFaultKind.Crash)));
        await harness.SubmitAsync("meters", [longTrial, failing], maxAttempts: 1);

        var busy = await WaitForAsync(() => Task.FromResult(meter.Gauges()), g => g.Busy == 1 && g.Queued == 1, Timeout, "one busy slot and one queued trial");
        Assert.Equal(1.0, busy.Utilization);
        Assert.Equal(0, busy.Idle);

        await harness.WaitForSweepAsync("meters", SweepStatus.CompletedWithFailures, Timeout);
        var idle = await WaitForAsync(() => Task.FromResult(meter.Gauges()), g => g.Idle == 1 && g.Queued == 0, Timeout, "the slot idle, the queue empty");
        Assert.Equal(0, idle.Utilization);

        Assert.Equal(1, meter.Ended("completed"));
        Assert.Equal(1, meter.Ended("failed"));
        Assert.Equal(0, meter.Ended("cancelled"));
        Assert.Equal(8 + 2, meter.Steps); // all 8 of the long trial; the crash strikes before step 3
    }

    /// <summary>Listens to the meter "Dsdr": counters tagged with one node, and the scheduler's gauges on demand.</summary>
    private sealed class MeterRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _node;
        private readonly Dictionary<string, long> _ended = [];
        private long _steps;
        private (int Queued, int Idle, int Busy, int Offline, double Utilization) _gauges;

        public MeterRecorder(string node)
        {
            _node = node;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == DsdrGrainMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                if (Tag(tags, DsdrGrainMetrics.NodeTag) != _node) return;
                lock (_ended)
                {
                    if (instrument.Name == DsdrGrainMetrics.TrialsEnded)
                    {
                        var outcome = Tag(tags, DsdrGrainMetrics.OutcomeTag)!;
                        _ended[outcome] = _ended.GetValueOrDefault(outcome) + value;
                    }
                    else if (instrument.Name == DsdrGrainMetrics.TrialSteps) _steps += value;
                }
            });
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
            {
                if (instrument.Name == DsdrGrainMetrics.QueueLength) _gauges.Queued = value;
                else if (instrument.Name == DsdrGrainMetrics.Slots)
                {
                    switch (Tag(tags, DsdrGrainMetrics.StateTag))
                    {
                        case "idle": _gauges.Idle = value; break;
                        case "busy": _gauges.Busy = value; break;
                        case "offline": _gauges.Offline = value; break;
                    }
                }
            });
            _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
            {
                if (instrument.Name == DsdrGrainMetrics.SlotUtilization) _gauges.Utilization = value;
            });
            _listener.Start();
        }

        public long Ended(string outcome)
        {
            lock (_ended) return _ended.GetValueOrDefault(outcome);
        }

        public long Steps
        {
            get { lock (_ended) return _steps; }
        }

        public (int Queued, int Idle, int Busy, int Offline, double Utilization) Gauges()
        {
            _gauges = default;
            _listener.RecordObservableInstruments();
            return _gauges;
        }

        public void Dispose() => _listener.Dispose();

        private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
        {
            foreach (var tag in tags)
                if (tag.Key == name) return tag.Value as string;
            return null;
        }
    }
}
