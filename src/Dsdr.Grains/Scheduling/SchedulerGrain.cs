using System.Collections.Immutable;
using Dsdr.Contracts;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Running;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Dsdr.Grains.Scheduling;

/// <summary>
/// The pool's scheduler. Keeps the fair queue and the slot registry, offers work to idle slots
/// the moment either side becomes ready, and expires the leases of silent slots. It awaits no
/// other grain: offers and lease expiries go out one-way, so no call cycle can block it. Its
/// turns touch memory only; the queue and registry are saved from the lease-scan timer, at most
/// once per <see cref="DsdrSchedulingOptions.SummarySaveInterval"/>.
/// </summary>
[KeepAlive]
internal sealed partial class SchedulerGrain(
    [PersistentState("scheduler", DsdrSchedulingOptions.StorageProviderName)] IPersistentState<SchedulerState> state,
    IOptions<DsdrSchedulingOptions> options,
    TimeProvider clock,
    ISlotMirror slotMirror,
    ILogger<SchedulerGrain> logger) : Grain, ISchedulerGrain, IRemindable
{
    private const string SafetyReminder = "scheduler-safety";
    private readonly DsdrSchedulingOptions _options = options.Value;
    private readonly FairQueue _queue = new();
    private readonly Dictionary<string, SlotRecord> _slots = new(StringComparer.Ordinal);
    private bool _dirty;
    private DateTimeOffset _savedAt;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        foreach (var trial in state.State.Queue) _queue.Enqueue(trial);
        foreach (var slot in state.State.Slots)
        {
            // Give every known slot a full lease from now: the registry may be older than its heartbeats.
            slot.LastSeen = now;
            slot.StateSince = now;
            _slots[slot.Key] = slot;
        }
        this.RegisterGrainTimer(ScanLeasesAsync, new GrainTimerCreationOptions(_options.LeaseScanInterval, _options.LeaseScanInterval));
        await this.RegisterOrUpdateReminder(SafetyReminder, _options.SafetyReminderPeriod, _options.SafetyReminderPeriod);
        PublishGauges();
    }

    Task ISchedulerGrain.EnqueueAsync(QueuedTrial trial)
    {
        Add(trial);
        Dispatch();
        PublishGauges();
        return Task.CompletedTask;
    }

    Task ISchedulerGrain.EnqueueManyAsync(ImmutableArray<QueuedTrial> trials)
    {
        foreach (var trial in trials) Add(trial);
        Dispatch();
        PublishGauges();
        return Task.CompletedTask;
    }

    private void Add(QueuedTrial trial)
    {
        var existing = _queue.Find(trial.TrialId);
        if (existing is not null && existing.Attempt == trial.Attempt) return;
        if (_slots.Values.Any(s => s.State == SlotState.Busy && (s.Assigned?.TrialId ?? s.TrialId) == trial.TrialId && s.Attempt == trial.Attempt))
            return; // already offered to a slot
        _queue.Enqueue(trial, atFront: trial.Attempt > 1);
        _dirty = true;
    }

    Task ISchedulerGrain.SettleAsync(string trialId)
    {
        if (_queue.Remove(trialId)) _dirty = true;
        PublishGauges();
        return Task.CompletedTask;
    }

    Task ISchedulerGrain.SlotHeartbeatAsync(SlotHeartbeat heartbeat)
    {
        Observe(heartbeat);
        Dispatch();
        PublishGauges();
        return Task.CompletedTask;
    }

    Task ISchedulerGrain.SlotFreedAsync(SlotHeartbeat heartbeat, DateTimeOffset freedAt)
    {
        var now = clock.GetUtcNow();
        var slot = Register(heartbeat, now);
        if (heartbeat.Sequence > slot.LastSequence)
        {
            slot.LastSequence = heartbeat.Sequence;
            if (slot.State != SlotState.Idle)
            {
                slot.MoveTo(SlotState.Idle, now);
                slot.FreeSince = freedAt < now ? freedAt : now;
                _dirty = true;
            }
        }
        Dispatch();
        PublishGauges();
        return Task.CompletedTask;
    }

    Task ISchedulerGrain.SlotLeavingAsync(string slotKey)
    {
        if (_slots.TryGetValue(slotKey, out var slot) && slot.State != SlotState.Offline)
        {
            if (slot.State == SlotState.Busy) ExpireAssignment(slot, "slot left the pool");
            slot.MoveTo(SlotState.Offline, clock.GetUtcNow());
            _dirty = true;
        }
        PublishGauges();
        return Task.CompletedTask;
    }

    Task<PoolSnapshot> ISchedulerGrain.GetPoolAsync()
    {
        var now = clock.GetUtcNow();
        var slots = _slots.Values.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.ToInfo(now)).ToImmutableArray();
        return Task.FromResult(new PoolSnapshot(slots, _queue.Count, _queue.CountBySweep().ToImmutableDictionary()));
    }

    Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        // The reminder's work is to (re)activate the scheduler, whose timer then scans leases.
        Dispatch();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        DsdrGrainMetrics.WithdrawPool(this);
        if (!_dirty) return;
        try
        {
            await SaveAsync();
        }
        catch (Exception ex)
        {
            LogSaveFailed(logger, ex); // trials and heartbeats rebuild it
        }
    }

    private SlotRecord Register(SlotHeartbeat heartbeat, DateTimeOffset now)
    {
        if (!_slots.TryGetValue(heartbeat.SlotKey, out var slot))
        {
            slot = new SlotRecord { Key = heartbeat.SlotKey, Capacity = heartbeat.Capacity, State = SlotState.Idle, StateSince = now, FreeSince = now };
            _slots[slot.Key] = slot;
            _dirty = true;
            LogSlotJoined(logger, slot.Key, slot.Capacity.Device, slot.Capacity.MemoryGiB);
        }
        if (slot.Capacity != heartbeat.Capacity)
        {
            slot.Capacity = heartbeat.Capacity;
            _dirty = true;
        }
        slot.LastSeen = now;
        return slot;
    }

    private void Observe(SlotHeartbeat heartbeat)
    {
        var now = clock.GetUtcNow();
        var slot = Register(heartbeat, now);
        if (heartbeat.Sequence <= slot.LastSequence) return; // overtaken by a newer message from the slot
        slot.LastSequence = heartbeat.Sequence;
        if (heartbeat.RunningTrialId is null)
        {
            switch (slot.State)
            {
                case SlotState.Offline:
                    slot.MoveTo(SlotState.Idle, now);
                    slot.FreeSince = now;
                    _dirty = true;
                    break;
                case SlotState.Busy when SawOfferOf(heartbeat, slot) || now - slot.AssignedAt > _options.LeaseTimeout:
                    // Idle although it received what we assigned (or the offer never arrived): the attempt is over or lost.
                    ExpireAssignment(slot, "slot reports idle while holding an assignment");
                    slot.MoveTo(SlotState.Idle, now);
                    slot.FreeSince = now;
                    _dirty = true;
                    break;
            }
            return;
        }

        var holdsIt = slot.State == SlotState.Busy
            && (slot.Assigned?.TrialId ?? slot.TrialId) == heartbeat.RunningTrialId
            && slot.Attempt == heartbeat.RunningAttempt;
        if (holdsIt) return;

        // Adopt what the slot says it runs (the trial grain decides whether that attempt may go on).
        if (slot.State == SlotState.Busy) ExpireAssignment(slot, "slot runs another attempt");
        slot.MoveTo(SlotState.Busy, now);
        slot.TrialId = heartbeat.RunningTrialId;
        slot.Attempt = heartbeat.RunningAttempt;
        slot.AssignedAt = now;
        _dirty = true;
    }

    private static bool SawOfferOf(SlotHeartbeat heartbeat, SlotRecord slot) =>
        heartbeat.LastOfferTrialId == (slot.Assigned?.TrialId ?? slot.TrialId) && heartbeat.LastOfferAttempt == slot.Attempt;

    private async Task ScanLeasesAsync()
    {
        var now = clock.GetUtcNow();
        List<string>? silent = null;
        foreach (var slot in _slots.Values)
        {
            if (slot.State == SlotState.Offline || now - slot.LastSeen <= _options.LeaseTimeout) continue;
            LogSlotSilent(logger, slot.Key, now - slot.LastSeen);
            if (slot.State == SlotState.Busy) ExpireAssignment(slot, "lease expired");
            slot.MoveTo(SlotState.Offline, now);
            (silent ??= []).Add(slot.Key);
            _dirty = true;
        }
        Dispatch();
        PublishGauges();
        // A silent slot (its silo died) cannot say it went offline: the scheduler says it for it.
        foreach (var key in silent ?? []) await MirrorOfflineAsync(key);
        if (_dirty && now - _savedAt >= _options.SummarySaveInterval) await SaveAsync();
    }

    private async Task MirrorOfflineAsync(string slotKey)
    {
        try
        {
            await slotMirror.SlotStateAsync(slotKey, SlotState.Offline, null);
        }
        catch (Exception ex)
        {
            LogSlotMirrorFailed(logger, ex, slotKey);
        }
    }

    /// <summary>Tells the trial its attempt on this slot is lost; the trial requeues it (or fails it).</summary>
    private void ExpireAssignment(SlotRecord slot, string reason)
    {
        var trialId = slot.Assigned?.TrialId ?? slot.TrialId;
        if (trialId is null) return;
        LogLeaseLost(logger, trialId, slot.Attempt, slot.Key, reason);
        GrainFactory.GetGrain<ITrialGrain>(trialId).LeaseExpiredAsync(slot.Key, slot.Attempt).Ignore();
    }

    /// <summary>Offers queued trials, in fair order, to the best-fitting idle slots.</summary>
    private void Dispatch()
    {
        if (_queue.Count == 0) return;
        var idle = _slots.Values.Where(s => s.State == SlotState.Idle).ToList();
        var now = clock.GetUtcNow();
        while (idle.Count > 0)
        {
            var trial = _queue.TakeNext(t => idle.Exists(s => t.Needs.FitsIn(s.Capacity)));
            if (trial is null) break;
            // Best fit: the smallest slot that fits, longest idle first among equals.
            var slot = idle.Where(s => trial.Needs.FitsIn(s.Capacity))
                .OrderBy(s => s.Capacity.MemoryGiB).ThenBy(s => s.FreeSince).First();
            idle.Remove(slot);
            slot.MoveTo(SlotState.Busy, now);
            slot.Assigned = trial;
            slot.TrialId = trial.TrialId;
            slot.Attempt = trial.Attempt;
            slot.AssignedAt = now;
            var readyAt = trial.EnqueuedAt > slot.FreeSince ? trial.EnqueuedAt : slot.FreeSince;
            GrainFactory.GetGrain<ILearnerSlotGrain>(slot.Key).OfferAsync(new TrialOffer(trial.TrialId, trial.Attempt, readyAt, trial.EnqueuedAt)).Ignore();
            _dirty = true;
        }
    }

    /// <summary>Hands the queue length and slot counts to the meter's gauges (read on the exporter's thread, not in a turn).</summary>
    private void PublishGauges()
    {
        int idle = 0, busy = 0, offline = 0;
        foreach (var slot in _slots.Values)
        {
            switch (slot.State)
            {
                case SlotState.Idle: idle++; break;
                case SlotState.Busy: busy++; break;
                default: offline++; break;
            }
        }
        DsdrGrainMetrics.PublishPool(this, new DsdrGrainMetrics.PoolReading(_queue.Count, idle, busy, offline));
    }

    private async Task SaveAsync()
    {
        _dirty = false;
        _savedAt = clock.GetUtcNow();
        state.State.Queue = _queue.InOrder().ToList();
        state.State.Slots = _slots.Values.ToList();
        await state.WriteStateAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduler could not save its queue and registry while deactivating")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slot {Slot} joined the pool ({Device}, {MemoryGiB} GiB)")]
    private static partial void LogSlotJoined(ILogger logger, string slot, DeviceKind device, double memoryGiB);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slot {Slot}: copying its offline state to the slot mirror failed")]
    private static partial void LogSlotMirrorFailed(ILogger logger, Exception exception, string slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slot {Slot} silent for {Silence}: offline")]
    private static partial void LogSlotSilent(ILogger logger, string slot, TimeSpan silence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trial {Trial} attempt {Attempt} on slot {Slot} lost: {Reason}")]
    private static partial void LogLeaseLost(ILogger logger, string trial, int attempt, string slot, string reason);
}
