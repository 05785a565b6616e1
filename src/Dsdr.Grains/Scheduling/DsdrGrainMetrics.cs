using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Dsdr.Contracts;

namespace Dsdr.Grains;

/// <summary>
/// The grains' instruments on the meter "Dsdr" (exported by the hosts' OpenTelemetry wiring): trial throughput from
/// the learner slots, and the pool's slots and queue as the scheduler sees them.
/// </summary>
public static class DsdrGrainMetrics
{
    public const string MeterName = "Dsdr";

    /// <summary>Counter: trial attempts that ended on a learner slot; tag <see cref="OutcomeTag"/> = completed | failed | cancelled | interrupted.</summary>
    public const string TrialsEnded = "dsdr.trials.ended";

    /// <summary>Counter: training steps completed by learner slots.</summary>
    public const string TrialSteps = "dsdr.trial.steps";

    /// <summary>Observable gauge: the pool's slots by <see cref="StateTag"/> = idle | busy | offline (from the scheduler's registry).</summary>
    public const string Slots = "dsdr.slots";

    /// <summary>Observable gauge: busy slots / online slots, in [0, 1] (0 when no slot is online).</summary>
    public const string SlotUtilization = "dsdr.slots.utilization";

    /// <summary>Observable gauge: trials waiting in the scheduler's queue.</summary>
    public const string QueueLength = "dsdr.queue.length";

    public const string OutcomeTag = "outcome";
    public const string StateTag = "state";
    public const string NodeTag = "node";

    internal static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> TrialsEndedCounter =
        Meter.CreateCounter<long>(TrialsEnded, "{attempt}", "Trial attempts that ended on a learner slot, by outcome");

    private static readonly Counter<long> TrialStepsCounter =
        Meter.CreateCounter<long>(TrialSteps, "{step}", "Training steps completed by learner slots");

    // One reading per live scheduler activation (one per cluster; several only when tests host clusters side by side).
    private static readonly ConcurrentDictionary<object, PoolReading> Pools = new();

    static DsdrGrainMetrics()
    {
        Meter.CreateObservableGauge(Slots, ObserveSlots, "{slot}", "Slots of the pool by state, as the scheduler sees them");
        Meter.CreateObservableGauge(SlotUtilization, ObserveUtilization, "1", "Busy slots / online slots of the pool");
        Meter.CreateObservableGauge(QueueLength, ObserveQueue, "{trial}", "Trials waiting in the scheduler's queue");
    }

    /// <summary>The pool's state at one moment, as published by the scheduler.</summary>
    public readonly record struct PoolReading(int Queued, int Idle, int Busy, int Offline)
    {
        public int Online => Idle + Busy;

        // u = busy / online (0 when nothing is online)
        public double Utilization => Online == 0 ? 0 : (double)Busy / Online;
    }

    internal static void TrialEnded(AttemptEnd end, string node) =>
        TrialsEndedCounter.Add(1, new KeyValuePair<string, object?>(OutcomeTag, OutcomeName(end)), new KeyValuePair<string, object?>(NodeTag, node));

    internal static void StepsCompleted(int steps, string node)
    {
        if (steps > 0) TrialStepsCounter.Add(steps, new KeyValuePair<string, object?>(NodeTag, node));
    }

    internal static void PublishPool(object scheduler, PoolReading reading) => Pools[scheduler] = reading;

    internal static void WithdrawPool(object scheduler) => Pools.TryRemove(scheduler, out _);

    /// <summary>The readings currently published (what the gauges report).</summary>
    public static IReadOnlyList<PoolReading> CurrentPools() => [.. Pools.Values];

    public static string OutcomeName(AttemptEnd end) => end switch
    {
        AttemptEnd.Completed => "completed",
        AttemptEnd.Failed => "failed",
        AttemptEnd.Cancelled => "cancelled",
        AttemptEnd.Interrupted => "interrupted",
        _ => end.ToString().ToLowerInvariant(),
    };

    private static IEnumerable<Measurement<int>> ObserveSlots()
    {
        foreach (var pool in Pools.Values)
        {
            yield return new Measurement<int>(pool.Idle, new KeyValuePair<string, object?>(StateTag, "idle"));
            yield return new Measurement<int>(pool.Busy, new KeyValuePair<string, object?>(StateTag, "busy"));
            yield return new Measurement<int>(pool.Offline, new KeyValuePair<string, object?>(StateTag, "offline"));
        }
    }

    private static IEnumerable<Measurement<double>> ObserveUtilization() => Pools.Values.Select(p => new Measurement<double>(p.Utilization));

    private static IEnumerable<Measurement<int>> ObserveQueue() => Pools.Values.Select(p => new Measurement<int>(p.Queued));
}
