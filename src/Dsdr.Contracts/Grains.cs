using System.Collections.Immutable;
using Dsdr.Core.Runs;
using Orleans.Concurrency;

namespace Dsdr.Contracts;

/// <summary>A sweep (key: sweep id): its trials, status and progress.</summary>
public interface ISweepGrain : IGrainWithStringKey
{
    /// <summary>Creates the sweep's trials and queues them. Submitting the same sweep again is a no-op.</summary>
    Task<SweepProgress> SubmitAsync(SweepSubmission submission);

    Task<SweepProgress> GetProgressAsync();

    Task<ImmutableArray<string>> GetTrialIdsAsync();

    Task<ImmutableArray<TrialSnapshot>> GetTrialsAsync();

    /// <summary>Stops the sweep's queued and running trials (running ones stop at their next step).</summary>
    Task<SweepProgress> CancelAsync();

    /// <summary>The sweep's early-stopping rules (null: none), so a slot knows which of its trial's metrics to pass on.</summary>
    Task<Dsdr.Core.Sweeps.EarlyStoppingSpec?> GetEarlyStoppingAsync();

    /// <summary>
    /// Values of watched metrics a trial reported at <paramref name="step"/>: the sweep applies its early-stopping rules.
    /// Returns the reason the trial must stop (a rule said so, now or at an earlier report), or null to go on; the caller
    /// stops the trial (<see cref="ITrialGrain.StopAsync"/>), so the sweep's turn stays short.
    /// </summary>
    Task<string?> ObserveAsync(string trialId, int step, ImmutableDictionary<string, double> values);

    /// <summary>A trial of this sweep changed status (from the trial; one-way).</summary>
    [OneWay]
    Task OnTrialStatusAsync(string trialId, TrialStatus status);
}

/// <summary>One trial (key: trial id): its status machine, attempts, checkpoint and lease.</summary>
public interface ITrialGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the trial as queued; a no-op when it exists. Its sweep then queues all its new
    /// trials with the scheduler at once, in submission order (<paramref name="indexInSweep"/>).
    /// </summary>
    Task<TrialSnapshot> InitializeAsync(TrialDescriptor descriptor, int indexInSweep, int maxAttempts);

    Task<TrialSnapshot> GetAsync();

    /// <summary>Cancels the trial: dequeued when queued, stopped at its next step when running.</summary>
    Task<TrialSnapshot> CancelAsync();

    /// <summary>
    /// Stops the trial early (its sweep's early-stopping rule said so): it ends "stopped" with <paramref name="reason"/>,
    /// a running attempt stops at its next step through the cancel path, neither a failure nor a retry; its last checkpoint stays.
    /// </summary>
    Task<TrialSnapshot> StopAsync(string reason);

    /// <summary>
    /// A slot begins the offered attempt. Returns what to run (with the checkpoint to resume from),
    /// or null when the offer is stale (trial cancelled, finished, or the attempt is not the next one).
    /// </summary>
    Task<TrialAssignment?> BeginAttemptAsync(string slotKey, TrialOffer offer);

    /// <summary>Renews the attempt's lease and records progress; says whether to go on.</summary>
    Task<HeartbeatReply> HeartbeatAsync(AttemptHeartbeat heartbeat);

    /// <summary>Records a checkpoint the attempt wrote; the next attempt resumes from the latest.</summary>
    Task<HeartbeatReply> RecordCheckpointAsync(string slotKey, int attempt, string path, int step);

    /// <summary>The attempt ended: completed, failed (requeued while attempts remain), cancelled or interrupted.</summary>
    Task EndAttemptAsync(AttemptResult result);

    /// <summary>The scheduler saw the attempt's slot miss its heartbeats: requeue or fail (one-way).</summary>
    [OneWay]
    Task LeaseExpiredAsync(string slotKey, int attempt);

    /// <summary>Safety net after restarts: re-queues a queued trial, expires a lease long past due; returns the status.</summary>
    Task<TrialStatus> EnsureProgressAsync();
}

/// <summary>
/// The pool's scheduler (key: "pool"): the queue of runnable trials, the registry of slots, fair
/// assignment, lease expiry. It never awaits calls to other grains, so no call cycle can block it.
/// </summary>
public interface ISchedulerGrain : IGrainWithStringKey
{
    public const string PoolKey = "pool";

    /// <summary>Queues (or re-queues) a trial attempt; replaces any older entry of the same trial.</summary>
    Task EnqueueAsync(QueuedTrial trial);

    /// <summary>Queues a sweep's new trials in one go, so they run in the order given.</summary>
    Task EnqueueManyAsync(ImmutableArray<QueuedTrial> trials);

    /// <summary>The trial finished or was cancelled: forget any queue entry of it.</summary>
    Task SettleAsync(string trialId);

    /// <summary>A slot is alive (and registers itself with its capacity the first time).</summary>
    Task SlotHeartbeatAsync(SlotHeartbeat heartbeat);

    /// <summary>A slot finished its attempt at <paramref name="freedAt"/> and can take the next one.</summary>
    Task SlotFreedAsync(SlotHeartbeat heartbeat, DateTimeOffset freedAt);

    /// <summary>A slot leaves the pool in an orderly way.</summary>
    Task SlotLeavingAsync(string slotKey);

    Task<PoolSnapshot> GetPoolAsync();
}

/// <summary>
/// One device on one node (key: "node/device", e.g. "node-a/cuda:0"), placed on the silo whose
/// node name matches the key's node part. Runs trials on a background task, never inside a grain turn.
/// </summary>
public interface ILearnerSlotGrain : IGrainWithStringKey
{
    /// <summary>Brings the slot online with its capacity: it joins the pool and starts heartbeating.</summary>
    Task StartAsync(SlotCapacity capacity);

    /// <summary>Takes the slot out of the pool; a running attempt is interrupted and requeued.</summary>
    Task StopAsync();

    /// <summary>The scheduler offers an attempt (one-way).</summary>
    [OneWay]
    Task OfferAsync(TrialOffer offer);

    /// <summary>Stops the running attempt of this trial at its next step (one-way).</summary>
    [OneWay]
    Task CancelTrialAsync(string trialId, int attempt);

    Task<LearnerSlotSnapshot> GetAsync();
}

/// <summary>A slot as it sees itself.</summary>
[GenerateSerializer, Immutable]
public sealed record LearnerSlotSnapshot(
    [property: Id(0)] string SlotKey,
    [property: Id(1)] string SiloNode,
    [property: Id(2)] SlotCapacity? Capacity,
    [property: Id(3)] bool Online,
    [property: Id(4)] string? RunningTrialId,
    [property: Id(5)] int RunningAttempt,
    [property: Id(6)] int Step,
    [property: Id(7)] int AttemptsRun);

/// <summary>One problem's history (key: "dataset/problem").</summary>
public interface IProblemGrain : IGrainWithStringKey
{
    /// <summary>
    /// Sets a group's contribution (by <see cref="ProblemObservation.GroupKey"/>): a group observed again replaces what it
    /// contributed before, so a replayed or retried report is counted once whatever was saved before a crash.
    /// </summary>
    Task ObserveAsync(ProblemObservation observation);

    Task<ProblemHistory> GetAsync();
}

/// <summary>One scored rollout group (key: "trial/step/dataset/problem").</summary>
public interface IRolloutGroupGrain : IGrainWithStringKey
{
    /// <summary>Keeps the group's record and tells its problem; recording the same group again replaces it.</summary>
    Task RecordAsync(RolloutGroupRecord record);

    Task<RolloutGroupRecord?> GetAsync();
}
