using System.Text.Json;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Grains.Running;
using Dsdr.Storage.Repositories;

namespace Dsdr.Silo.Postgres;

/// <summary>The grains' sweeps and trials copied into PostgreSQL's sweeps/trials tables, where the web layer lists them.</summary>
public sealed class PostgresRunMirror(SweepRepository sweeps, TrialRepository trials) : IRunMirror
{
    public async Task SweepSubmittedAsync(SweepSubmission submission, CancellationToken cancellationToken = default)
    {
        var spec = submission.SpecJson ?? JsonSerializer.Serialize(new
        {
            name = submission.Name,
            maxAttempts = submission.MaxAttempts,
            trials = submission.Trials.Length,
        });
        await sweeps.InsertAsync(new NewSweep(submission.SweepId, submission.Name, spec), cancellationToken);
        await trials.InsertAsync(submission.Trials.Select(t => new NewTrial(t.TrialId, t.SweepId, t.Arm, t.RowLabel, t.Seed, t.ConfigJson)),
            cancellationToken);
    }

    public async Task SweepStatusAsync(string sweepId, SweepStatus status, CancellationToken cancellationToken = default)
    {
        if (status is SweepStatus.NotSubmitted) return;
        if (!await sweeps.SetStatusAsync(sweepId, status, cancellationToken))
            throw new InvalidOperationException($"Sweep '{sweepId}' has no row in the sweeps table: it was submitted without the run mirror.");
    }

    public async Task TrialChangedAsync(TrialSnapshot trial, CancellationToken cancellationToken = default)
    {
        if (trial.Descriptor is not { } d || trial.Status is TrialStatus.Unknown) return;
        var sync = new TrialSync(d.TrialId, trial.Status, trial.Attempt, trial.Lease?.SlotKey, trial.Lease?.ExpiresAt.UtcDateTime, trial.Step,
            trial.LastCheckpointPath, trial.LastCheckpointPath is null ? null : trial.LastCheckpointStep, trial.Error,
            trial.Attempts.IsDefaultOrEmpty ? null : trial.Attempts[0].StartedAt.UtcDateTime, trial.FinishedAt?.UtcDateTime,
            trial.Attempts.IsDefault ? [] : [.. trial.Attempts.Select(a => new TrialAttemptRow(a.Attempt, a.SlotKey, a.ResumedFromStep,
                a.StartedAt.UtcDateTime, a.EndedAt?.UtcDateTime, a.Outcome?.ToString().ToLowerInvariant(), a.EndReason))]);
        if (!await trials.SyncAsync(sync, cancellationToken))
            throw new InvalidOperationException($"Trial '{d.TrialId}' has no row in the trials table: its sweep was submitted without the run mirror.");
    }
}
