using Dsdr.Contracts;
using Dsdr.Core.Sweeps;

namespace Dsdr.Grains.Scheduling;

[GenerateSerializer]
public sealed class SchedulerState
{
    /// <summary>Queued trials in fair order.</summary>
    [Id(0)] public List<QueuedTrial> Queue { get; set; } = [];

    [Id(1)] public List<SlotRecord> Slots { get; set; } = [];
}

/// <summary>The scheduler's record of one slot.</summary>
[GenerateSerializer]
public sealed class SlotRecord
{
    [Id(0)] public string Key { get; set; } = "";
    [Id(1)] public SlotCapacity Capacity { get; set; } = new(DeviceKind.Cpu, 0);
    [Id(2)] public SlotState State { get; set; } = SlotState.Idle;
    /// <summary>The trial attempt the slot holds (offered or running); null when idle or offline.</summary>
    [Id(3)] public QueuedTrial? Assigned { get; set; }
    [Id(4)] public int Attempt { get; set; }
    [Id(5)] public DateTimeOffset AssignedAt { get; set; }
    [Id(6)] public DateTimeOffset FreeSince { get; set; }
    [Id(7)] public DateTimeOffset StateSince { get; set; }
    [Id(8)] public TimeSpan BusyTime { get; set; }
    [Id(9)] public TimeSpan OnlineTime { get; set; }
    [Id(10)] public DateTimeOffset LastSeen { get; set; }
    /// <summary>Running trial id when known only from the slot's heartbeat (adopted after a scheduler restart).</summary>
    [Id(11)] public string? TrialId { get; set; }
    /// <summary>Sequence of the newest heartbeat taken from the slot; older ones are stale.</summary>
    [Id(12)] public long LastSequence { get; set; }

    /// <summary>Moves the slot to <paramref name="state"/>, adding the time spent in the old state to its counters.</summary>
    public void MoveTo(SlotState state, DateTimeOffset now)
    {
        var spent = now - StateSince;
        if (spent > TimeSpan.Zero)
        {
            if (State == SlotState.Busy) BusyTime += spent;
            if (State != SlotState.Offline) OnlineTime += spent;
        }
        State = state;
        StateSince = now;
        if (state != SlotState.Busy)
        {
            Assigned = null;
            TrialId = null;
            Attempt = 0;
        }
    }

    public SlotInfo ToInfo(DateTimeOffset now)
    {
        var spent = now - StateSince;
        var busy = BusyTime + (State == SlotState.Busy && spent > TimeSpan.Zero ? spent : TimeSpan.Zero);
        var online = OnlineTime + (State != SlotState.Offline && spent > TimeSpan.Zero ? spent : TimeSpan.Zero);
        return new SlotInfo(Key, Capacity, State, TrialId, Attempt, LastSeen, busy, online);
    }
}
