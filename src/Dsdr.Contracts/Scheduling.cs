using System.Collections.Immutable;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;

namespace Dsdr.Contracts;

/// <summary>What a trial needs from a slot: a device kind and at least this much device memory.</summary>
[GenerateSerializer, Immutable]
public sealed record TrialNeeds([property: Id(0)] DeviceKind Device, [property: Id(1)] double MemoryGiB)
{
    /// <summary>A slot fits when it drives the same device kind and has at least the memory asked for.</summary>
    public bool FitsIn(SlotCapacity capacity) => capacity.Device == Device && capacity.MemoryGiB >= MemoryGiB;
}

/// <summary>What a learner slot offers: its device kind and device memory.</summary>
[GenerateSerializer, Immutable]
public sealed record SlotCapacity([property: Id(0)] DeviceKind Device, [property: Id(1)] double MemoryGiB);

/// <summary>
/// One trial as the platform schedules it. The full trial configuration travels as JSON
/// (Core's TrialSpec serialised by the caller), so the contracts do not depend on Core.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TrialDescriptor(
    [property: Id(0)] string TrialId,
    [property: Id(1)] string SweepId,
    [property: Id(2)] string Arm,
    [property: Id(3)] string RowLabel,
    [property: Id(4)] int Seed,
    [property: Id(5)] string ConfigJson,
    [property: Id(6)] TrialNeeds Needs,
    [property: Id(7)] int Priority = 0);

/// <summary>
/// A sweep as submitted: its trials, already expanded (by Core) into descriptors. <paramref name="SpecJson"/>
/// is the sweep's spec as the user wrote it (Core's SweepSpec as JSON), kept with the sweep's stored row.
/// <paramref name="EarlyStopping"/>: the spec's early-stopping rules, which the sweep applies to the metrics its trials report.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SweepSubmission(
    [property: Id(0)] string SweepId,
    [property: Id(1)] string Name,
    [property: Id(2)] ImmutableArray<TrialDescriptor> Trials,
    [property: Id(3)] int MaxAttempts = 3,
    [property: Id(4)] string? SpecJson = null,
    [property: Id(9)] EarlyStoppingSpec? EarlyStopping = null);

/// <summary>A sweep's status and how many of its trials are in each state.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepProgress(
    [property: Id(0)] string SweepId,
    [property: Id(1)] string Name,
    [property: Id(2)] SweepStatus Status,
    [property: Id(3)] int Total,
    [property: Id(4)] int Queued,
    [property: Id(5)] int Running,
    [property: Id(6)] int Completed,
    [property: Id(7)] int Failed,
    [property: Id(8)] int Cancelled,
    [property: Id(9)] DateTimeOffset? SubmittedAt,
    [property: Id(10)] DateTimeOffset? FinishedAt,
    [property: Id(11)] int Stopped = 0)
{
    public int Finished => Completed + Failed + Cancelled + Stopped;
    public TrialCounts Counts => new(Queued, Running, Completed, Failed, Cancelled, Stopped);
}

/// <summary>Which slot holds a running trial, for which attempt, and until when without a heartbeat.</summary>
[GenerateSerializer, Immutable]
public sealed record TrialLease(
    [property: Id(0)] string SlotKey,
    [property: Id(1)] int Attempt,
    [property: Id(2)] DateTimeOffset ExpiresAt);

/// <summary>
/// One attempt of a trial as it happened. <paramref name="Outcome"/> is null while it runs; <paramref name="EndReason"/>
/// says why an attempt that did not complete ended: for a failure its error's first line and where in our code it was
/// raised (the full trace is in the node's log), or the lost lease.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TrialAttemptRecord(
    [property: Id(0)] int Attempt,
    [property: Id(1)] string SlotKey,
    [property: Id(2)] DateTimeOffset StartedAt,
    [property: Id(3)] int ResumedFromStep,
    [property: Id(4)] DateTimeOffset? EndedAt,
    [property: Id(5)] string? EndReason,
    [property: Id(6)] AttemptEnd? Outcome = null);

/// <summary>Everything the platform knows about one trial.</summary>
[GenerateSerializer, Immutable]
public sealed record TrialSnapshot(
    [property: Id(0)] TrialDescriptor? Descriptor,
    [property: Id(1)] TrialStatus Status,
    [property: Id(2)] int Attempt,
    [property: Id(3)] int MaxAttempts,
    [property: Id(4)] string? LastCheckpointPath,
    [property: Id(5)] int LastCheckpointStep,
    [property: Id(6)] int Step,
    [property: Id(7)] int TotalSteps,
    [property: Id(8)] TrialLease? Lease,
    [property: Id(9)] string? Error,
    [property: Id(10)] DateTimeOffset? FinishedAt,
    [property: Id(11)] ImmutableArray<TrialAttemptRecord> Attempts);

/// <summary>A runnable trial waiting in the scheduler's queue for its next attempt.</summary>
[GenerateSerializer, Immutable]
public sealed record QueuedTrial(
    [property: Id(0)] string TrialId,
    [property: Id(1)] string SweepId,
    [property: Id(2)] int Priority,
    [property: Id(3)] TrialNeeds Needs,
    [property: Id(4)] int Attempt,
    [property: Id(5)] DateTimeOffset EnqueuedAt,
    [property: Id(6)] int IndexInSweep = 0);

/// <summary>
/// The scheduler's offer of a trial attempt to a slot. <paramref name="ReadyAt"/> is when both
/// were ready (the later of the trial's enqueue time <paramref name="QueuedAt"/> and the time the
/// slot's previous runner returned): the start of the assignment latency.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TrialOffer(
    [property: Id(0)] string TrialId,
    [property: Id(1)] int Attempt,
    [property: Id(2)] DateTimeOffset ReadyAt,
    [property: Id(3)] DateTimeOffset QueuedAt);

/// <summary>What a slot needs to run one attempt: the trial and where to resume from.</summary>
[GenerateSerializer, Immutable]
public sealed record TrialAssignment(
    [property: Id(0)] TrialDescriptor Trial,
    [property: Id(1)] string SlotKey,
    [property: Id(2)] int Attempt,
    [property: Id(3)] string? ResumeCheckpointPath,
    [property: Id(4)] int ResumeStep,
    [property: Id(5)] DateTimeOffset ReadyAt,
    [property: Id(6)] DateTimeOffset QueuedAt);

/// <summary>
/// A slot's sign of life, carrying what it runs and the last offer it received. The sequence
/// grows with every heartbeat a slot sends, so the scheduler can drop one that arrives late.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SlotHeartbeat(
    [property: Id(0)] string SlotKey,
    [property: Id(1)] SlotCapacity Capacity,
    [property: Id(2)] string? RunningTrialId,
    [property: Id(3)] int RunningAttempt,
    [property: Id(4)] long Sequence,
    [property: Id(5)] string? LastOfferTrialId,
    [property: Id(6)] int LastOfferAttempt);

/// <summary>A running attempt's sign of life and progress, from its slot to its trial.</summary>
[GenerateSerializer, Immutable]
public sealed record AttemptHeartbeat(
    [property: Id(0)] string SlotKey,
    [property: Id(1)] int Attempt,
    [property: Id(2)] int Step,
    [property: Id(3)] int TotalSteps);

[GenerateSerializer]
public enum HeartbeatReply
{
    /// <summary>Keep going.</summary>
    Continue = 0,
    /// <summary>Stop at the next step: the trial was cancelled or this attempt is no longer the trial's.</summary>
    Stop = 1,
}

[GenerateSerializer]
public enum AttemptEnd
{
    Completed = 0,
    Failed = 1,
    Cancelled = 2,
    /// <summary>The slot went away in an orderly way (node shut down): requeue without counting a failure.</summary>
    Interrupted = 3,
}

/// <summary>Why a failed attempt failed, which decides whether the trial tries again.</summary>
[GenerateSerializer]
public enum FailureKind
{
    /// <summary>The machinery failed (lease lost, node gone, database unreachable, a device fault): retried while attempts remain.</summary>
    Infrastructure = 0,
    /// <summary>It would fail again anywhere (divergence, bad data, bad config, a missing file): the trial fails at once.</summary>
    Deterministic = 1,
}

/// <summary>How an attempt ended, from the slot to its trial; <paramref name="Failure"/> matters only when it failed.</summary>
[GenerateSerializer, Immutable]
public sealed record AttemptResult(
    [property: Id(0)] string SlotKey,
    [property: Id(1)] int Attempt,
    [property: Id(2)] AttemptEnd End,
    [property: Id(3)] string? Error,
    [property: Id(4)] int Step,
    [property: Id(5)] FailureKind Failure = FailureKind.Infrastructure);

[GenerateSerializer]
public enum SlotState
{
    Idle = 0,
    Busy = 1,
    Offline = 2,
}

/// <summary>One slot as the scheduler sees it.</summary>
[GenerateSerializer, Immutable]
public sealed record SlotInfo(
    [property: Id(0)] string SlotKey,
    [property: Id(1)] SlotCapacity Capacity,
    [property: Id(2)] SlotState State,
    [property: Id(3)] string? TrialId,
    [property: Id(4)] int Attempt,
    [property: Id(5)] DateTimeOffset LastSeen,
    [property: Id(6)] TimeSpan BusyTime,
    [property: Id(7)] TimeSpan OnlineTime)
{
    public string Node => SlotKeys.NodeOf(SlotKey);
}

/// <summary>The pool: every known slot and the queue's length per sweep.</summary>
[GenerateSerializer, Immutable]
public sealed record PoolSnapshot(
    [property: Id(0)] ImmutableArray<SlotInfo> Slots,
    [property: Id(1)] int QueuedTrials,
    [property: Id(2)] ImmutableDictionary<string, int> QueuedBySweep);
