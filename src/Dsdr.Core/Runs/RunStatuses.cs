namespace Dsdr.Core.Runs;

/// <summary>
/// A trial's lifecycle: queued → running → completed / failed / cancelled / stopped (a failed attempt with attempts left
/// goes back to queued). The numbers are stable: grain state and the wire carry them.
/// </summary>
public enum TrialStatus
{
    /// <summary>Not initialised: no such trial.</summary>
    Unknown = 0,
    Queued = 1,
    Running = 2,
    Completed = 3,
    Failed = 4,
    Cancelled = 5,
    /// <summary>Ended early by the sweep's early-stopping rule (ASHA, diversity collapse): not a failure; keeps its last checkpoint and says why.</summary>
    Stopped = 6,
}

/// <summary>
/// A sweep's lifecycle, read from its trials by <see cref="RunStatuses.SweepOf"/>: queued while none has left the queue,
/// running until all have ended, then completed, completed with failures, failed or cancelled. The numbers are stable:
/// grain state and the wire carry them.
/// </summary>
public enum SweepStatus
{
    NotSubmitted = 0,
    Running = 1,
    Completed = 2,
    Cancelled = 3,
    Queued = 4,
    /// <summary>Every trial ended, some completed and some failed.</summary>
    CompletedWithFailures = 5,
    /// <summary>Every trial ended and none completed: at least one failed.</summary>
    Failed = 6,
}

/// <summary>How many of a sweep's trials are in each state.</summary>
public readonly record struct TrialCounts(int Queued, int Running, int Completed, int Failed, int Cancelled, int Stopped = 0)
{
    public int Total => Queued + Running + Completed + Failed + Cancelled + Stopped;
    public int Open => Queued + Running;

    public static TrialCounts Of(IEnumerable<TrialStatus> statuses)
    {
        int queued = 0, running = 0, completed = 0, failed = 0, cancelled = 0, stopped = 0;
        foreach (var s in statuses)
        {
            switch (s)
            {
                case TrialStatus.Queued: queued++; break;
                case TrialStatus.Running: running++; break;
                case TrialStatus.Completed: completed++; break;
                case TrialStatus.Failed: failed++; break;
                case TrialStatus.Cancelled: cancelled++; break;
                case TrialStatus.Stopped: stopped++; break;
            }
        }
        return new TrialCounts(queued, running, completed, failed, cancelled, stopped);
    }
}

/// <summary>The rules of both lifecycles and their one text form (API fields, database columns, CLI output).</summary>
public static class RunStatuses
{
    public static bool IsTerminal(this TrialStatus status) =>
        status is TrialStatus.Completed or TrialStatus.Failed or TrialStatus.Cancelled or TrialStatus.Stopped;

    /// <summary>A sweep is finished when none of its trials can run any more.</summary>
    public static bool IsFinished(this SweepStatus status) =>
        status is SweepStatus.Completed or SweepStatus.CompletedWithFailures or SweepStatus.Failed or SweepStatus.Cancelled;

    /// <summary>Submitted and not finished: queued or running.</summary>
    public static bool IsOpen(this SweepStatus status) => status is SweepStatus.Queued or SweepStatus.Running;

    /// <summary>
    /// A submitted sweep's status from its trials: queued while every trial waits in the queue, running while any is
    /// open, then cancelled (when cancelled by request), completed (no failure; stopped trials ended as planned), failed
    /// (no trial completed or was stopped) or completed with failures.
    /// </summary>
    public static SweepStatus SweepOf(TrialCounts trials, bool cancelRequested)
    {
        if (trials.Total == 0) return SweepStatus.NotSubmitted;
        if (trials.Open > 0) return trials.Queued == trials.Total ? SweepStatus.Queued : SweepStatus.Running;
        if (cancelRequested) return SweepStatus.Cancelled;
        if (trials.Failed == 0) return SweepStatus.Completed;
        return trials.Completed + trials.Stopped == 0 ? SweepStatus.Failed : SweepStatus.CompletedWithFailures;
    }

    /// <summary>
    /// The status a sweep moves to from <paramref name="current"/> when its trials are as counted: a finished sweep
    /// stays as it is, and one that has started never goes back to queued (a retried trial waiting again).
    /// </summary>
    public static SweepStatus NextSweepStatus(SweepStatus current, TrialCounts trials, bool cancelRequested)
    {
        if (current is SweepStatus.NotSubmitted || current.IsFinished()) return current;
        var next = SweepOf(trials, cancelRequested);
        return current is SweepStatus.Running && next is SweepStatus.Queued ? SweepStatus.Running : next;
    }

    /// <summary>"unknown", "queued", "running", "completed", "failed", "cancelled", "stopped".</summary>
    public static string Name(this TrialStatus status) => status switch
    {
        TrialStatus.Unknown => "unknown",
        TrialStatus.Queued => "queued",
        TrialStatus.Running => "running",
        TrialStatus.Completed => "completed",
        TrialStatus.Failed => "failed",
        TrialStatus.Cancelled => "cancelled",
        TrialStatus.Stopped => "stopped",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown trial status."),
    };

    /// <summary>"not-submitted", "queued", "running", "completed", "completed-with-failures", "failed", "cancelled".</summary>
    public static string Name(this SweepStatus status) => status switch
    {
        SweepStatus.NotSubmitted => "not-submitted",
        SweepStatus.Queued => "queued",
        SweepStatus.Running => "running",
        SweepStatus.Completed => "completed",
        SweepStatus.CompletedWithFailures => "completed-with-failures",
        SweepStatus.Failed => "failed",
        SweepStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown sweep status."),
    };

    public static IReadOnlyList<TrialStatus> TrialStatuses { get; } = Enum.GetValues<TrialStatus>();
    public static IReadOnlyList<SweepStatus> SweepStatuses { get; } = Enum.GetValues<SweepStatus>();

    public static bool TryParseTrial(string? text, out TrialStatus status) => TryParse(text, TrialStatuses, Name, out status);
    public static bool TryParseSweep(string? text, out SweepStatus status) => TryParse(text, SweepStatuses, Name, out status);

    public static TrialStatus ParseTrial(string text) => TryParseTrial(text, out var s) ? s
        : throw new FormatException($"'{text}' is not a trial status; use one of {string.Join(", ", TrialStatuses.Select(Name))}.");

    public static SweepStatus ParseSweep(string text) => TryParseSweep(text, out var s) ? s
        : throw new FormatException($"'{text}' is not a sweep status; use one of {string.Join(", ", SweepStatuses.Select(Name))}.");

    private static bool TryParse<T>(string? text, IReadOnlyList<T> all, Func<T, string> name, out T value)
    {
        foreach (var candidate in all)
        {
            if (string.Equals(name(candidate), text, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }
        value = default!;
        return false;
    }
}
