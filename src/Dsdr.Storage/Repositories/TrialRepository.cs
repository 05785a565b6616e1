using Dapper;
using Dsdr.Core.Runs;

namespace Dsdr.Storage.Repositories;

/// <summary>
/// Trials and their status machine. Every transition is one conditional UPDATE, so two actors racing on a trial
/// cannot both win: queued → running (attempt +1, lease) → completed | failed | queued (requeue);
/// queued | running → cancelled; failed → queued (retry).
/// </summary>
public sealed class TrialRepository(DsdrDatabase database)
{
    private static readonly string Columns = $"""
        trial_id AS TrialId, sweep_id AS SweepId, arm AS Arm, row_label AS Row, seed AS Seed, config::text AS Config,
        {DbText.TrialStatusOf("status")} AS Status, attempts AS Attempts, slot_id AS SlotId, lease_expires_at AS LeaseExpiresAt, heartbeat_at AS HeartbeatAt,
        last_step AS LastStep, checkpoint_path AS CheckpointPath, checkpoint_step AS CheckpointStep, error AS Error,
        created_at AS CreatedAt, started_at AS StartedAt, finished_at AS FinishedAt, updated_at AS UpdatedAt,
        (SELECT count(*)::int FROM trial_attempts a WHERE a.trial_id = trials.trial_id AND a.outcome = 'failed') AS FailedAttempts,
        (SELECT a.reason FROM trial_attempts a WHERE a.trial_id = trials.trial_id AND a.outcome = 'failed'
         ORDER BY a.attempt DESC LIMIT 1) AS LastFailure
        """;

    /// <summary>Stores trials (a sweep's expansion); trials already stored are left as they are. Returns how many were new.</summary>
    public async Task<int> InsertAsync(IEnumerable<NewTrial> trials, CancellationToken cancellationToken = default)
    {
        var list = trials.ToList();
        foreach (var trial in list)
        {
            DbText.RequireId(trial.TrialId, nameof(trial.TrialId));
            DbText.RequireId(trial.SweepId, nameof(trial.SweepId));
        }
        if (list.Count == 0) return 0;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO trials (trial_id, sweep_id, arm, row_label, seed, config)
            SELECT * FROM unnest(@ids, @sweeps, @arms, @rows, @seeds, CAST(@configs AS jsonb[]))
            ON CONFLICT (trial_id) DO NOTHING
            """,
            new
            {
                ids = list.Select(t => t.TrialId).ToArray(),
                sweeps = list.Select(t => t.SweepId).ToArray(),
                arms = list.Select(t => t.Arm).ToArray(),
                rows = list.Select(t => t.Row).ToArray(),
                seeds = list.Select(t => t.Seed).ToArray(),
                configs = list.Select(t => t.ConfigJson).ToArray(),
            }, cancellationToken: cancellationToken));
    }

    public async Task<TrialRow?> GetAsync(string trialId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<TrialRow>(new CommandDefinition(
            $"SELECT {Columns} FROM trials WHERE trial_id = @trialId", new { trialId }, cancellationToken: cancellationToken));
    }

    /// <summary>The trials with these ids, in id order (unknown ids are left out): one query however many.</summary>
    public async Task<IReadOnlyList<TrialRow>> ListAsync(IReadOnlyCollection<string> trialIds, CancellationToken cancellationToken = default)
    {
        if (trialIds.Count == 0) return [];
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<TrialRow>(new CommandDefinition(
            $"SELECT {Columns} FROM trials WHERE trial_id = ANY(@ids) ORDER BY trial_id", new { ids = trialIds.Distinct().ToArray() },
            cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<TrialRow>> ListBySweepAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<TrialRow>(new CommandDefinition(
            $"SELECT {Columns} FROM trials WHERE sweep_id = @sweepId ORDER BY arm, row_label, seed, trial_id",
            new { sweepId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Trials in <paramref name="status"/>, oldest first (the scheduler's queue after a restart).</summary>
    public async Task<IReadOnlyList<TrialRow>> ListByStatusAsync(TrialStatus status, int limit = 1000, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<TrialRow>(new CommandDefinition(
            $"SELECT {Columns} FROM trials WHERE status = @status ORDER BY created_at, trial_id LIMIT @limit",
            new { status = DbText.Of(status), limit }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Running trials whose lease ran out (their slot stopped heartbeating).</summary>
    public async Task<IReadOnlyList<TrialRow>> ListExpiredLeasesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<TrialRow>(new CommandDefinition(
            $"SELECT {Columns} FROM trials WHERE status = 'running' AND lease_expires_at < now() ORDER BY lease_expires_at",
            cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>queued → running on <paramref name="slotId"/>: counts an attempt and takes a lease. False if the trial was not queued.</summary>
    public Task<bool> StartAttemptAsync(string trialId, string slotId, TimeSpan lease, CancellationToken cancellationToken = default) =>
        UpdateAsync("""
            UPDATE trials SET status = 'running', attempts = attempts + 1, slot_id = @slotId, lease_expires_at = now() + @lease,
                   heartbeat_at = now(), started_at = coalesce(started_at, now()), finished_at = NULL, error = NULL, updated_at = now()
            WHERE trial_id = @trialId AND status = 'queued'
            """, new { trialId, slotId, lease }, cancellationToken);

    /// <summary>Extends the lease of a trial running on <paramref name="slotId"/> and records its progress. False if it lost the trial.</summary>
    public Task<bool> HeartbeatAsync(string trialId, string slotId, int step, TimeSpan lease, CancellationToken cancellationToken = default) =>
        UpdateAsync("""
            UPDATE trials SET heartbeat_at = now(), lease_expires_at = now() + @lease, last_step = @step, updated_at = now()
            WHERE trial_id = @trialId AND status = 'running' AND slot_id = @slotId
            """, new { trialId, slotId, step, lease }, cancellationToken);

    /// <summary>Records the latest checkpoint (a running trial resumes from it after a requeue).</summary>
    public Task<bool> SetCheckpointAsync(string trialId, string path, int step, CancellationToken cancellationToken = default) =>
        UpdateAsync("""
            UPDATE trials SET checkpoint_path = @path, checkpoint_step = @step, updated_at = now()
            WHERE trial_id = @trialId AND (checkpoint_step IS NULL OR checkpoint_step <= @step)
            """, new { trialId, path, step }, cancellationToken);

    /// <summary>running → completed.</summary>
    public Task<bool> CompleteAsync(string trialId, CancellationToken cancellationToken = default) =>
        UpdateAsync("""
            UPDATE trials SET status = 'completed', finished_at = now(), lease_expires_at = NULL, slot_id = NULL, updated_at = now()
            WHERE trial_id = @trialId AND status = 'running'
            """, new { trialId }, cancellationToken);

    /// <summary>running → failed, keeping the error text.</summary>
    public Task<bool> FailAsync(string trialId, string error, CancellationToken cancellationToken = default) =>
        UpdateAsync("""
            UPDATE trials SET status = 'failed', error = @error, finished_at = now(), lease_expires_at = NULL, slot_id = NULL, updated_at = now()
            WHERE trial_id = @trialId AND status = 'running'
            """, new { trialId, error }, cancellationToken);

    /// <summary>running | failed → queued (lost slot, expired lease, retry); the attempt count stays.</summary>
    public Task<bool> RequeueAsync(string trialId, string? reason = null, CancellationToken cancellationToken = default) =>
        UpdateAsync("""
            UPDATE trials SET status = 'queued', slot_id = NULL, lease_expires_at = NULL, error = @reason, finished_at = NULL, updated_at = now()
            WHERE trial_id = @trialId AND status IN ('running', 'failed')
            """, new { trialId, reason }, cancellationToken);

    /// <summary>queued | running → cancelled.</summary>
    public Task<bool> CancelAsync(string trialId, CancellationToken cancellationToken = default) =>
        UpdateAsync("""
            UPDATE trials SET status = 'cancelled', finished_at = now(), lease_expires_at = NULL, slot_id = NULL, updated_at = now()
            WHERE trial_id = @trialId AND status IN ('queued', 'running')
            """, new { trialId }, cancellationToken);

    /// <summary>
    /// Overwrites a trial's status fields and attempts with the scheduler's own record of it (the Orleans trial grain is
    /// the authority; these tables are its queryable copy), in one transaction. False when the trial has no row.
    /// </summary>
    public async Task<bool> SyncAsync(TrialSync trial, CancellationToken cancellationToken = default)
    {
        var attempts = trial.AttemptRecords ?? [];
        foreach (var a in attempts)
            if (a.Outcome is not (null or "completed" or "failed" or "cancelled" or "interrupted"))
                throw new ArgumentException($"Attempt {a.Attempt} of trial {trial.TrialId}: unknown outcome '{a.Outcome}' (completed, failed, cancelled or interrupted).", nameof(trial));
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE trials SET status = @status, attempts = @Attempts, slot_id = @SlotId, lease_expires_at = @LeaseExpiresAt,
                   heartbeat_at = CASE WHEN @status = 'running' THEN now() ELSE heartbeat_at END,
                   last_step = @LastStep, checkpoint_path = @CheckpointPath, checkpoint_step = @CheckpointStep, error = @Error,
                   started_at = coalesce(started_at, @StartedAt), finished_at = @FinishedAt, updated_at = now()
            WHERE trial_id = @TrialId
            """,
            new
            {
                trial.TrialId, status = DbText.Of(trial.Status), trial.Attempts, trial.SlotId, trial.LeaseExpiresAt, trial.LastStep,
                trial.CheckpointPath, trial.CheckpointStep, trial.Error, trial.StartedAt, trial.FinishedAt,
            }, transaction, cancellationToken: cancellationToken));
        if (updated == 1 && attempts.Count > 0)
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO trial_attempts (trial_id, attempt, slot_id, resumed_from_step, started_at, ended_at, outcome, reason)
                SELECT @trialId, * FROM unnest(@numbers, @slots, @resumedFrom, @started, @ended, @outcomes, @reasons)
                ON CONFLICT (trial_id, attempt) DO UPDATE SET slot_id = EXCLUDED.slot_id, resumed_from_step = EXCLUDED.resumed_from_step,
                    started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at, outcome = EXCLUDED.outcome, reason = EXCLUDED.reason
                """,
                new
                {
                    trialId = trial.TrialId,
                    numbers = attempts.Select(a => a.Attempt).ToArray(),
                    slots = attempts.Select(a => a.SlotId).ToArray(),
                    resumedFrom = attempts.Select(a => a.ResumedFromStep).ToArray(),
                    started = attempts.Select(a => a.StartedAt).ToArray(),
                    ended = attempts.Select(a => a.EndedAt).ToArray(),
                    outcomes = attempts.Select(a => a.Outcome).ToArray(),
                    reasons = attempts.Select(a => a.Reason).ToArray(),
                }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return updated == 1;
    }

    /// <summary>A trial's attempts, first to last.</summary>
    public async Task<IReadOnlyList<TrialAttemptRow>> ListAttemptsAsync(string trialId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<TrialAttemptRow>(new CommandDefinition("""
            SELECT attempt AS Attempt, slot_id AS SlotId, resumed_from_step AS ResumedFromStep, started_at AS StartedAt,
                   ended_at AS EndedAt, outcome AS Outcome, reason AS Reason
            FROM trial_attempts WHERE trial_id = @trialId ORDER BY attempt
            """, new { trialId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Deletes a trial with its metrics, evals and rollout groups.</summary>
    public async Task<bool> DeleteAsync(string trialId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM metrics WHERE trial_id = @trialId", new { trialId }, transaction,
            cancellationToken: cancellationToken));
        var deleted = await connection.ExecuteAsync(new CommandDefinition("DELETE FROM trials WHERE trial_id = @trialId", new { trialId },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return deleted == 1;
    }

    private async Task<bool> UpdateAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)) == 1;
    }
}
