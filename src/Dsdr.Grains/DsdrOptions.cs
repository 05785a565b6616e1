namespace Dsdr.Grains;

/// <summary>Timing of heartbeats, leases and the scheduler's safety nets.</summary>
public sealed class DsdrSchedulingOptions
{
    /// <summary>The grain-storage provider name every Dsdr grain persists through.</summary>
    public const string StorageProviderName = "dsdr";

    /// <summary>How often a slot tells the scheduler (and its running trial) it is alive.</summary>
    public TimeSpan SlotHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A slot silent this long is offline, and the attempt it ran is requeued.</summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How often the scheduler looks for expired leases (a grain timer).</summary>
    public TimeSpan LeaseScanInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the scheduler (its queue and slot registry) and the sweeps (their trials' statuses)
    /// save what changed. Trials are the authority on their own state, so a crash loses nothing that
    /// the sweeps' reminders and the slots' heartbeats do not rebuild; saving on every change would
    /// make these two busy grains storage-bound.
    /// </summary>
    public TimeSpan SummarySaveInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often an active, unfinished trial checks on itself: a queued one queues itself again (a no-op
    /// when the scheduler has it; a scheduler that moved to another silo may have lost it), a running one
    /// whose lease is long past due gives up the attempt.
    /// </summary>
    public TimeSpan TrialWatchInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A runner that reports nothing (no step, heartbeat or checkpoint) this long is taken as hung: its slot goes silent.</summary>
    public TimeSpan RunnerStallTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Period of the reminders that keep the scheduler and unfinished sweeps moving after a restart.</summary>
    public TimeSpan SafetyReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long placement waits for a slot's node to appear in the cluster before failing.</summary>
    public TimeSpan NodeLookupTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public void Validate()
    {
        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(name, value, $"{nameof(DsdrSchedulingOptions)}.{name} must be positive.");
        }
        Positive(SlotHeartbeatInterval, nameof(SlotHeartbeatInterval));
        Positive(LeaseTimeout, nameof(LeaseTimeout));
        Positive(LeaseScanInterval, nameof(LeaseScanInterval));
        Positive(RunnerStallTimeout, nameof(RunnerStallTimeout));
        Positive(SafetyReminderPeriod, nameof(SafetyReminderPeriod));
        Positive(NodeLookupTimeout, nameof(NodeLookupTimeout));
        Positive(SummarySaveInterval, nameof(SummarySaveInterval));
        Positive(TrialWatchInterval, nameof(TrialWatchInterval));
        if (LeaseTimeout < 2 * SlotHeartbeatInterval)
            throw new ArgumentOutOfRangeException(nameof(LeaseTimeout), LeaseTimeout,
                $"{nameof(DsdrSchedulingOptions)}.{nameof(LeaseTimeout)} ({LeaseTimeout}) must be at least twice {nameof(SlotHeartbeatInterval)} ({SlotHeartbeatInterval}), or healthy slots lose their leases.");
    }
}
