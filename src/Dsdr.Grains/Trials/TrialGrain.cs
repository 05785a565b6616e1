using System.Collections.Immutable;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Grains.Running;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dsdr.Grains.Trials;

/// <summary>
/// One trial's status machine: queued → running → completed / failed / cancelled / stopped, with attempts,
/// the latest checkpoint and the running attempt's lease. The trial is the authority on which
/// attempt may run: a slot holding a stale attempt is told to stop.
/// </summary>
internal sealed partial class TrialGrain(
    [PersistentState("trial", DsdrSchedulingOptions.StorageProviderName)] IPersistentState<TrialState> state,
    IOptions<DsdrSchedulingOptions> options,
    IRunMirror mirror,
    TimeProvider clock,
    ILogger<TrialGrain> logger) : Grain, ITrialGrain
{
    private readonly DsdrSchedulingOptions _options = options.Value;
    private TrialState S => state.State;
    private IGrainTimer? _watch;
    private bool _mirrorBehind;
    private string TrialId => this.GetPrimaryKeyString();

    async Task<TrialSnapshot> ITrialGrain.InitializeAsync(TrialDescriptor descriptor, int indexInSweep, int maxAttempts)
    {
        if (descriptor.TrialId != TrialId)
            throw new ArgumentException($"Descriptor trial id '{descriptor.TrialId}' does not match the grain key '{TrialId}'.", nameof(descriptor));
        if (maxAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(maxAttempts), maxAttempts, "A trial needs at least one attempt (maxAttempts ≥ 1).");
        if (S.Status != TrialStatus.Unknown)
        {
            if (S.Descriptor != descriptor)
                throw new InvalidOperationException($"Trial '{TrialId}' already exists with a different descriptor; trial ids must be unique.");
            return Snapshot();
        }
        S.Descriptor = descriptor;
        S.MaxAttempts = maxAttempts;
        S.IndexInSweep = indexInSweep;
        S.Status = TrialStatus.Queued;
        S.QueuedAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        Watch();
        return Snapshot();
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Watch();
        return Task.CompletedTask;
    }

    Task<TrialSnapshot> ITrialGrain.GetAsync() => Task.FromResult(Snapshot());

    Task<TrialSnapshot> ITrialGrain.CancelAsync() => EndEarlyAsync(TrialStatus.Cancelled, reason: null);

    Task<TrialSnapshot> ITrialGrain.StopAsync(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return EndEarlyAsync(TrialStatus.Stopped, reason);
    }

    /// <summary>
    /// Cancelled or stopped before its end: dequeued when queued, its running attempt told to stop at its next step. The
    /// lease stays, so the attempt's end and a checkpoint it writes on the way out are still matched to it.
    /// </summary>
    private async Task<TrialSnapshot> EndEarlyAsync(TrialStatus end, string? reason)
    {
        if (S.Status is TrialStatus.Unknown || S.Status.IsTerminal()) return Snapshot();
        var running = S.Status == TrialStatus.Running ? S.Lease : null;
        S.Status = end;
        if (reason is not null) S.Error = reason;
        S.FinishedAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        await Scheduler.SettleAsync(TrialId);
        if (running is not null)
            GrainFactory.GetGrain<ILearnerSlotGrain>(running.SlotKey).CancelTrialAsync(TrialId, running.Attempt).Ignore();
        await ChangedAsync();
        if (reason is not null) LogStopped(logger, TrialId, reason);
        return Snapshot();
    }

    async Task<TrialAssignment?> ITrialGrain.BeginAttemptAsync(string slotKey, TrialOffer offer)
    {
        if (S.Status != TrialStatus.Queued || offer.Attempt != S.Attempt + 1 || S.Descriptor is null)
            return null;
        var now = clock.GetUtcNow();
        S.Attempt = offer.Attempt;
        S.Status = TrialStatus.Running;
        S.Lease = new TrialLease(slotKey, offer.Attempt, now + _options.LeaseTimeout);
        S.Step = S.CheckpointStep;
        S.Attempts.Add(new TrialAttemptRecord(offer.Attempt, slotKey, now, S.CheckpointStep, null, null));
        await state.WriteStateAsync();
        await ChangedAsync();
        LogAttemptBegun(logger, TrialId, offer.Attempt, slotKey, S.CheckpointStep);
        return new TrialAssignment(S.Descriptor, slotKey, offer.Attempt, S.CheckpointPath, S.CheckpointStep, offer.ReadyAt, offer.QueuedAt);
    }

    Task<HeartbeatReply> ITrialGrain.HeartbeatAsync(AttemptHeartbeat heartbeat)
    {
        if (!HoldsLease(heartbeat.SlotKey, heartbeat.Attempt)) return Task.FromResult(HeartbeatReply.Stop);
        S.Lease = S.Lease! with { ExpiresAt = clock.GetUtcNow() + _options.LeaseTimeout };
        S.Step = heartbeat.Step;
        S.TotalSteps = heartbeat.TotalSteps;
        return Task.FromResult(HeartbeatReply.Continue);
    }

    async Task<HeartbeatReply> ITrialGrain.RecordCheckpointAsync(string slotKey, int attempt, string path, int step)
    {
        var stopping = S.Status == TrialStatus.Stopped && LeaseIs(slotKey, attempt);
        if (!HoldsLease(slotKey, attempt) && !stopping) return HeartbeatReply.Stop;
        if (step >= S.CheckpointStep)
        {
            S.CheckpointPath = path;
            S.CheckpointStep = step;
        }
        S.Step = Math.Max(S.Step, step);
        S.Lease = S.Lease! with { ExpiresAt = clock.GetUtcNow() + _options.LeaseTimeout };
        await state.WriteStateAsync();
        await MirrorAsync();
        return stopping ? HeartbeatReply.Stop : HeartbeatReply.Continue;
    }

    async Task ITrialGrain.EndAttemptAsync(AttemptResult result)
    {
        var now = clock.GetUtcNow();
        var reason = result.Error ?? EndReasonOf(result.End);
        if (S.Status is TrialStatus.Cancelled or TrialStatus.Stopped && LeaseIs(result.SlotKey, result.Attempt))
        {
            // cancelled or stopped early while it ran: the attempt ends as asked, neither a failure nor a retry
            S.Step = Math.Max(S.Step, result.Step);
            CloseAttempt(result.Attempt, now, AttemptEnd.Cancelled, S.Status == TrialStatus.Stopped ? S.Error : reason);
            S.Lease = null;
            await state.WriteStateAsync();
            await MirrorAsync();
            return;
        }
        if (!HoldsLease(result.SlotKey, result.Attempt)) return;
        S.Step = Math.Max(S.Step, result.Step);
        switch (result.End)
        {
            case AttemptEnd.Completed:
                CloseAttempt(result.Attempt, now, AttemptEnd.Completed, null);
                S.Status = TrialStatus.Completed;
                S.Lease = null;
                S.FinishedAt = now;
                await state.WriteStateAsync();
                await Scheduler.SettleAsync(TrialId);
                await ChangedAsync();
                LogFinished(logger, TrialId, S.Status, S.Attempt);
                break;
            case AttemptEnd.Failed when result.Failure == FailureKind.Deterministic:
                await FailAsync(reason ?? "failed (the runner gave no reason)", now);
                break;
            case AttemptEnd.Failed:
                await LoseAttemptAsync(AttemptEnd.Failed, reason, countsAsFailure: true);
                break;
            default: // Cancelled by the runner without a cancel from us, or Interrupted: the slot went away.
                await LoseAttemptAsync(result.End, reason, countsAsFailure: false);
                break;
        }
    }

    async Task ITrialGrain.LeaseExpiredAsync(string slotKey, int attempt)
    {
        if (HoldsLease(slotKey, attempt))
        {
            await LoseAttemptAsync(AttemptEnd.Failed, $"lease expired: slot {slotKey} missed its heartbeats", countsAsFailure: true);
        }
        else if (S.Status == TrialStatus.Queued && attempt == S.Attempt + 1)
        {
            // The offer of this attempt never began: queue it again.
            await EnqueueNextAttemptAsync();
        }
    }

    Task<TrialStatus> ITrialGrain.EnsureProgressAsync() => EnsureProgressAsync();

    /// <summary>While the trial is unfinished, a timer runs <see cref="EnsureProgressAsync"/> now and then.</summary>
    private void Watch()
    {
        var open = S.Status is TrialStatus.Queued or TrialStatus.Running || _mirrorBehind;
        if (open && _watch is null)
            _watch = this.RegisterGrainTimer(async () => await EnsureProgressAsync(), _options.TrialWatchInterval, _options.TrialWatchInterval);
        else if (!open && _watch is not null)
        {
            _watch.Dispose();
            _watch = null;
        }
    }

    private async Task<TrialStatus> EnsureProgressAsync()
    {
        if (_mirrorBehind) await MirrorAsync();
        var now = clock.GetUtcNow();
        if (S.Status == TrialStatus.Queued)
            await EnqueueNextAttemptAsync();
        else if (S.Status == TrialStatus.Running && S.Lease is { } lease && now > lease.ExpiresAt + _options.LeaseTimeout)
            await LoseAttemptAsync(AttemptEnd.Failed, $"lease expired at {lease.ExpiresAt:O} without the scheduler noticing", countsAsFailure: true);
        return S.Status;
    }

    private ISchedulerGrain Scheduler => GrainFactory.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey);

    private bool HoldsLease(string slotKey, int attempt) => S.Status == TrialStatus.Running && LeaseIs(slotKey, attempt);

    private bool LeaseIs(string slotKey, int attempt) => S.Lease is { } lease && lease.SlotKey == slotKey && lease.Attempt == attempt;

    /// <summary>The running attempt is lost: requeue from the last checkpoint, or fail once attempts are spent.</summary>
    private async Task LoseAttemptAsync(AttemptEnd outcome, string? reason, bool countsAsFailure)
    {
        var now = clock.GetUtcNow();
        CloseAttempt(S.Attempt, now, outcome, reason);
        S.Lease = null;
        if (countsAsFailure) S.Failures++;
        if (countsAsFailure && S.Attempt >= S.MaxAttempts)
        {
            S.Status = TrialStatus.Failed;
            S.Error = $"{reason} (attempt {S.Attempt} of {S.MaxAttempts})";
            S.FinishedAt = now;
            await state.WriteStateAsync();
            await Scheduler.SettleAsync(TrialId);
            LogFinished(logger, TrialId, S.Status, S.Attempt);
        }
        else
        {
            S.Status = TrialStatus.Queued;
            S.QueuedAt = now;
            await state.WriteStateAsync();
            await EnqueueNextAttemptAsync();
            LogRequeued(logger, TrialId, S.Attempt, reason, S.CheckpointStep);
        }
        await ChangedAsync();
    }

    /// <summary>A deterministic failure: another attempt would fail the same way, so the trial fails now with the attempt's own sentence.</summary>
    private async Task FailAsync(string reason, DateTimeOffset now)
    {
        CloseAttempt(S.Attempt, now, AttemptEnd.Failed, reason);
        S.Lease = null;
        S.Failures++;
        S.Status = TrialStatus.Failed;
        S.Error = reason;
        S.FinishedAt = now;
        await state.WriteStateAsync();
        await Scheduler.SettleAsync(TrialId);
        LogFailedDeterministically(logger, TrialId, S.Attempt, reason);
        await ChangedAsync();
    }

    private Task EnqueueNextAttemptAsync()
    {
        var d = S.Descriptor!;
        return Scheduler.EnqueueAsync(new QueuedTrial(d.TrialId, d.SweepId, d.Priority, d.Needs, S.Attempt + 1, S.QueuedAt ?? clock.GetUtcNow(), S.IndexInSweep));
    }

    private void CloseAttempt(int attempt, DateTimeOffset now, AttemptEnd outcome, string? reason)
    {
        var i = S.Attempts.FindLastIndex(a => a.Attempt == attempt);
        if (i >= 0 && S.Attempts[i].EndedAt is null)
            S.Attempts[i] = S.Attempts[i] with { EndedAt = now, EndReason = reason, Outcome = outcome };
    }

    private static string? EndReasonOf(AttemptEnd end) => end switch
    {
        AttemptEnd.Interrupted => "interrupted: the slot went away (its node shut down); resumed elsewhere",
        AttemptEnd.Cancelled => "cancelled",
        AttemptEnd.Failed => "failed (the runner gave no reason)",
        _ => null,
    };

    /// <summary>After a saved change: the mirror gets the new snapshot and the sweep the new status.</summary>
    private async Task ChangedAsync()
    {
        await MirrorAsync();
        NotifySweep();
    }

    /// <summary>Copies the trial to the mirror; a failure is logged and retried by the watch timer.</summary>
    private async Task MirrorAsync()
    {
        try
        {
            await mirror.TrialChangedAsync(Snapshot());
            _mirrorBehind = false;
        }
        catch (Exception ex)
        {
            _mirrorBehind = true;
            LogMirrorFailed(logger, ex, TrialId);
        }
        Watch();
    }

    private void NotifySweep()
    {
        Watch();
        if (S.Descriptor is { } d)
            GrainFactory.GetGrain<ISweepGrain>(d.SweepId).OnTrialStatusAsync(TrialId, S.Status).Ignore();
    }

    private TrialSnapshot Snapshot() => new(
        S.Descriptor, S.Status, S.Attempt, S.MaxAttempts, S.CheckpointPath, S.CheckpointStep,
        S.Step, S.TotalSteps, S.Lease, S.Error, S.FinishedAt, [.. S.Attempts]);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trial {Trial}: copying it to the run mirror failed; retrying on its next check")]
    private static partial void LogMirrorFailed(ILogger logger, Exception exception, string trial);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trial {Trial} attempt {Attempt} begun on {Slot} from step {Step}")]
    private static partial void LogAttemptBegun(ILogger logger, string trial, int attempt, string slot, int step);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trial {Trial} requeued after attempt {Attempt} ({Reason}); resumes from step {Step}")]
    private static partial void LogRequeued(ILogger logger, string trial, int attempt, string? reason, int step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trial {Trial} failed on attempt {Attempt}, not retried (deterministic): {Reason}")]
    private static partial void LogFailedDeterministically(ILogger logger, string trial, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trial {Trial} stopped early: {Reason}")]
    private static partial void LogStopped(ILogger logger, string trial, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trial {Trial} {Status} after {Attempts} attempt(s)")]
    private static partial void LogFinished(ILogger logger, string trial, TrialStatus status, int attempts);
}
