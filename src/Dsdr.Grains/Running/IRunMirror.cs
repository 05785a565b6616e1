using Dsdr.Contracts;
using Dsdr.Core.Runs;

namespace Dsdr.Grains.Running;

/// <summary>
/// A queryable copy of sweeps and trials for readers outside the cluster (the web layer lists sweeps
/// and trials from PostgreSQL's sweeps/trials tables). The grains stay the authority: they call the
/// mirror after each change they have saved; a failed call is retried on the grain's next check.
/// </summary>
public interface IRunMirror
{
    /// <summary>A sweep and its trials were submitted (idempotent). Runs before any trial is created, so a trial's row exists before its metrics.</summary>
    Task SweepSubmittedAsync(SweepSubmission submission, CancellationToken cancellationToken = default);

    Task SweepStatusAsync(string sweepId, SweepStatus status, CancellationToken cancellationToken = default);

    /// <summary>A trial's status, attempts, lease, progress and checkpoint changed.</summary>
    Task TrialChangedAsync(TrialSnapshot trial, CancellationToken cancellationToken = default);
}

/// <summary>No mirror: a silo without a database keeps sweeps and trials in its grains only.</summary>
public sealed class NoRunMirror : IRunMirror
{
    public static readonly NoRunMirror Instance = new();

    public Task SweepSubmittedAsync(SweepSubmission submission, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task SweepStatusAsync(string sweepId, SweepStatus status, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task TrialChangedAsync(TrialSnapshot trial, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
