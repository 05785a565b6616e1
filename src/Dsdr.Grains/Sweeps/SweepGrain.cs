using System.Collections.Immutable;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Running;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Dsdr.Grains.Sweeps;

[GenerateSerializer]
public sealed class SweepState
{
    [Id(0)] public string Name { get; set; } = "";
    [Id(1)] public SweepStatus Status { get; set; }
    [Id(2)] public int MaxAttempts { get; set; }
    /// <summary>Trial ids in submission order.</summary>
    [Id(3)] public List<string> TrialIds { get; set; } = [];
    [Id(4)] public Dictionary<string, TrialStatus> TrialStatuses { get; set; } = [];
    [Id(5)] public bool CancelRequested { get; set; }
    [Id(6)] public DateTimeOffset? SubmittedAt { get; set; }
    [Id(7)] public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>The early-stopping rules and what they have seen.</summary>
    [Id(20)] public EarlyStoppingBook EarlyStopping { get; set; } = new();
}

/// <summary>
/// A sweep: creates its trials, follows their statuses, cancels them. While unfinished, a
/// reminder makes it poke its trials now and then, so nothing stalls after a restart. Status
/// changes of single trials are saved in batches (the trials hold the truth); submission,
/// cancellation and the end of the sweep are saved at once.
/// </summary>
internal sealed partial class SweepGrain(
    [PersistentState("sweep", DsdrSchedulingOptions.StorageProviderName)] IPersistentState<SweepState> state,
    IOptions<DsdrSchedulingOptions> options,
    IRunMirror mirror,
    TimeProvider clock,
    ILogger<SweepGrain> logger) : Grain, ISweepGrain, IRemindable
{
    private bool _mirrorBehind;
    private const string SafetyReminder = "sweep-safety";
    private const int InitialiseChunk = 32;
    private IGrainTimer? _saveTimer;
    private SweepState S => state.State;
    private string SweepId => this.GetPrimaryKeyString();

    async Task<SweepProgress> ISweepGrain.SubmitAsync(SweepSubmission submission)
    {
        Validate(submission);
        var ids = submission.Trials.Select(t => t.TrialId).ToList();
        if (S.Status != SweepStatus.NotSubmitted)
        {
            if (!S.TrialIds.SequenceEqual(ids))
                throw new InvalidOperationException($"Sweep '{SweepId}' was already submitted with other trials; submit a changed sweep under a new id.");
        }
        else
        {
            // The mirror's rows come first (idempotent), so every trial has its row before it can report metrics.
            await mirror.SweepSubmittedAsync(submission);
            S.Name = submission.Name;
            S.MaxAttempts = submission.MaxAttempts;
            S.TrialIds = ids;
            S.TrialStatuses = ids.ToDictionary(id => id, _ => TrialStatus.Queued);
            S.Status = SweepStatus.Queued;
            S.SubmittedAt = clock.GetUtcNow();
            S.EarlyStopping = new EarlyStoppingBook { Rules = submission.EarlyStopping };
            await state.WriteStateAsync();
            await this.RegisterOrUpdateReminder(SafetyReminder, options.Value.SafetyReminderPeriod, options.Value.SafetyReminderPeriod);
            await MirrorStatusAsync();
            LogSubmitted(logger, SweepId, ids.Count);
        }
        // Initialising is idempotent, so a re-submission after a crash half-way finishes the job.
        // Trials are created a chunk at a time and each chunk queued at once: the first ones start
        // while the rest are still being created, and the scheduler is never flooded.
        var scheduler = GrainFactory.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey);
        for (var start = 0; start < submission.Trials.Length; start += InitialiseChunk)
        {
            var chunk = submission.Trials.Skip(start).Take(InitialiseChunk).ToList();
            var snapshots = await Task.WhenAll(chunk.Select((t, i) =>
                GrainFactory.GetGrain<ITrialGrain>(t.TrialId).InitializeAsync(t, start + i, S.MaxAttempts)));
            foreach (var snapshot in snapshots) Absorb(snapshot.Descriptor!.TrialId, snapshot.Status);
            var now = clock.GetUtcNow();
            var fresh = snapshots.Select((t, i) => (t, i)).Where(x => x.t.Status == TrialStatus.Queued && x.t.Attempt == 0)
                .Select(x => new QueuedTrial(x.t.Descriptor!.TrialId, SweepId, x.t.Descriptor.Priority, x.t.Descriptor.Needs, 1, now, start + x.i))
                .ToImmutableArray();
            if (!fresh.IsEmpty) await scheduler.EnqueueManyAsync(fresh);
        }
        await FinishIfDoneAsync();
        return Progress();
    }

    Task<SweepProgress> ISweepGrain.GetProgressAsync() => Task.FromResult(Progress());

    Task<ImmutableArray<string>> ISweepGrain.GetTrialIdsAsync() => Task.FromResult(S.TrialIds.ToImmutableArray());

    async Task<ImmutableArray<TrialSnapshot>> ISweepGrain.GetTrialsAsync()
    {
        var snapshots = await Task.WhenAll(S.TrialIds.Select(id => GrainFactory.GetGrain<ITrialGrain>(id).GetAsync()));
        return [.. snapshots];
    }

    async Task<SweepProgress> ISweepGrain.CancelAsync()
    {
        if (!S.Status.IsOpen()) return Progress();
        S.CancelRequested = true;
        await state.WriteStateAsync();
        var open = S.TrialIds.Where(id => !S.TrialStatuses[id].IsTerminal()).ToList();
        LogCancelled(logger, SweepId, open.Count);
        await CancelOpenAsync(open);
        await FinishIfDoneAsync();
        return Progress();
    }

    async Task ISweepGrain.OnTrialStatusAsync(string trialId, TrialStatus status)
    {
        if (!S.TrialStatuses.ContainsKey(trialId) || !Absorb(trialId, status)) return;
        await FinishIfDoneAsync();
        SaveLater();
    }

    Task<EarlyStoppingSpec?> ISweepGrain.GetEarlyStoppingAsync() => Task.FromResult(S.EarlyStopping.Rules);

    Task<string?> ISweepGrain.ObserveAsync(string trialId, int step, ImmutableDictionary<string, double> values)
    {
        if (!S.TrialStatuses.TryGetValue(trialId, out var status) || S.EarlyStopping.Rules is null) return Task.FromResult<string?>(null);
        if (status.IsTerminal()) return Task.FromResult(S.EarlyStopping.Stops.GetValueOrDefault(trialId));
        var reason = S.EarlyStopping.Observe(trialId, step, values);
        if (reason is not null) LogStopping(logger, SweepId, trialId, reason);
        SaveLater();
        return Task.FromResult(reason);
    }

    /// <summary>Saves the state within <see cref="DsdrSchedulingOptions.SummarySaveInterval"/> while the sweep is open.</summary>
    private void SaveLater()
    {
        if (S.Status.IsOpen())
            _saveTimer ??= this.RegisterGrainTimer(SaveLaterAsync, options.Value.SummarySaveInterval, Timeout.InfiniteTimeSpan);
    }

    private async Task SaveLaterAsync()
    {
        _saveTimer?.Dispose();
        _saveTimer = null;
        await state.WriteStateAsync();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_saveTimer is null) return;
        try
        {
            await SaveLaterAsync();
        }
        catch (Exception ex)
        {
            LogSaveFailed(logger, ex, SweepId); // the reminder re-reads the trials
        }
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!S.Status.IsOpen())
        {
            await MirrorStatusAsync(); // the finished status may not have reached the mirror yet
            if (!_mirrorBehind) await StopReminderAsync();
            return;
        }
        if (_mirrorBehind) await MirrorStatusAsync();
        var open = S.TrialIds.Where(id => !S.TrialStatuses[id].IsTerminal()).ToList();
        // a cancel cut off half-way (a silo or the database went away) is finished here
        if (S.CancelRequested) await CancelOpenAsync(open);
        var changed = false;
        foreach (var chunk in open.Where(id => !S.TrialStatuses[id].IsTerminal()).Chunk(InitialiseChunk))
        {
            var statuses = await Task.WhenAll(chunk.Select(id => GrainFactory.GetGrain<ITrialGrain>(id).EnsureProgressAsync()));
            for (var i = 0; i < chunk.Length; i++) changed |= Absorb(chunk[i], statuses[i]);
        }
        await FinishIfDoneAsync(forceWrite: changed);
    }

    /// <summary>
    /// Cancels the open trials a chunk at a time (each cancel writes the trial's state and its mirror row, so thousands at
    /// once would drain the database's connections); a chunk that fails is logged and left to the reminder.
    /// </summary>
    private async Task CancelOpenAsync(IReadOnlyList<string> open)
    {
        foreach (var chunk in open.Chunk(InitialiseChunk))
        {
            try
            {
                var snapshots = await Task.WhenAll(chunk.Select(id => GrainFactory.GetGrain<ITrialGrain>(id).CancelAsync()));
                for (var i = 0; i < chunk.Length; i++) Absorb(chunk[i], snapshots[i].Status);
            }
            catch (Exception ex)
            {
                LogCancelChunkFailed(logger, ex, SweepId, chunk.Length);
            }
        }
    }

    /// <summary>Takes a trial's status; a finished trial never goes back. True when something changed.</summary>
    private bool Absorb(string trialId, TrialStatus status)
    {
        var known = S.TrialStatuses[trialId];
        if (known == status || known.IsTerminal() || status == TrialStatus.Unknown) return false;
        S.TrialStatuses[trialId] = status;
        return true;
    }

    /// <summary>
    /// Follows the sweep's status from its trials' (queued → running → an end state, <see cref="RunStatuses.SweepOf"/>);
    /// a change is saved and mirrored at once, and the end of the sweep stops its reminder.
    /// </summary>
    private async Task FinishIfDoneAsync(bool forceWrite = false)
    {
        var changed = false;
        var next = RunStatuses.NextSweepStatus(S.Status, TrialCounts.Of(S.TrialStatuses.Values), S.CancelRequested);
        if (next != S.Status)
        {
            S.Status = next;
            changed = forceWrite = true;
            if (next.IsFinished())
            {
                S.FinishedAt = clock.GetUtcNow();
                LogFinished(logger, SweepId, next.Name());
            }
        }
        if (forceWrite) await state.WriteStateAsync();
        if (changed) await MirrorStatusAsync();
        if (S.Status.IsFinished() && forceWrite)
        {
            if (!changed) await MirrorStatusAsync();
            if (!_mirrorBehind) await StopReminderAsync(); // else the reminder retries the mirror
        }
    }

    /// <summary>Copies the sweep's status to the mirror; a failure is logged and retried by the reminder.</summary>
    private async Task MirrorStatusAsync()
    {
        try
        {
            await mirror.SweepStatusAsync(SweepId, S.Status);
            _mirrorBehind = false;
        }
        catch (Exception ex)
        {
            _mirrorBehind = true;
            LogMirrorFailed(logger, ex, SweepId);
        }
    }

    private async Task StopReminderAsync()
    {
        var reminder = await this.GetReminder(SafetyReminder);
        if (reminder is not null) await this.UnregisterReminder(reminder);
    }

    private SweepProgress Progress()
    {
        var c = TrialCounts.Of(S.TrialStatuses.Values);
        return new SweepProgress(SweepId, S.Name, S.Status, S.TrialIds.Count,
            c.Queued, c.Running, c.Completed, c.Failed, c.Cancelled, S.SubmittedAt, S.FinishedAt, c.Stopped);
    }

    private void Validate(SweepSubmission submission)
    {
        if (submission.SweepId != SweepId)
            throw new ArgumentException($"Submission sweep id '{submission.SweepId}' does not match the grain key '{SweepId}'.", nameof(submission));
        if (submission.Trials.IsDefaultOrEmpty)
            throw new ArgumentException($"Sweep '{SweepId}' has no trials: expand the spec into at least one trial.", nameof(submission));
        if (submission.MaxAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(submission), submission.MaxAttempts, $"Sweep '{SweepId}': MaxAttempts must be at least 1.");
        if (submission.EarlyStopping is { } rules && EarlyStoppingBook.Problems(rules) is { Count: > 0 } problems)
            throw new ArgumentException($"Sweep '{SweepId}': its early-stopping rules are invalid: {string.Join("; ", problems)}.", nameof(submission));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in submission.Trials)
        {
            if (string.IsNullOrWhiteSpace(t.TrialId))
                throw new ArgumentException($"Sweep '{SweepId}' has a trial without an id.", nameof(submission));
            if (!seen.Add(t.TrialId))
                throw new ArgumentException($"Sweep '{SweepId}' lists trial '{t.TrialId}' twice; trial ids must be unique.", nameof(submission));
            if (t.SweepId != SweepId)
                throw new ArgumentException($"Trial '{t.TrialId}' names sweep '{t.SweepId}', not '{SweepId}'.", nameof(submission));
            if (t.Needs is null || t.Needs.MemoryGiB < 0 || double.IsNaN(t.Needs.MemoryGiB))
                throw new ArgumentException($"Trial '{t.TrialId}' needs a device and a memory of 0 GiB or more.", nameof(submission));
            if (string.IsNullOrWhiteSpace(t.ConfigJson))
                throw new ArgumentException($"Trial '{t.TrialId}' has an empty config JSON.", nameof(submission));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep {Sweep}: copying its status to the run mirror failed; the reminder retries")]
    private static partial void LogMirrorFailed(ILogger logger, Exception exception, string sweep);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep {Sweep} could not save its trials' statuses while deactivating")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception, string sweep);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Sweep} submitted with {Trials} trial(s)")]
    private static partial void LogSubmitted(ILogger logger, string sweep, int trials);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep {Sweep}: cancelling {Trials} trial(s) failed; the reminder tries again")]
    private static partial void LogCancelChunkFailed(ILogger logger, Exception exception, string sweep, int trials);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Sweep} cancelling {Open} open trial(s)")]
    private static partial void LogCancelled(ILogger logger, string sweep, int open);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Sweep}: trial {Trial} to stop early: {Reason}")]
    private static partial void LogStopping(ILogger logger, string sweep, string trial, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Sweep} {Status}")]
    private static partial void LogFinished(ILogger logger, string sweep, string status);
}
