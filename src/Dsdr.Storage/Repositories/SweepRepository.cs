using Dapper;
using Dsdr.Core.Runs;

namespace Dsdr.Storage.Repositories;

/// <summary>Sweeps: the submitted spec and the sweep's status.</summary>
public sealed class SweepRepository(DsdrDatabase database)
{
    private static readonly string Columns =
        $"sweep_id AS SweepId, name AS Name, spec::text AS Spec, {DbText.SweepStatusOf("status")} AS Status, created_at AS CreatedAt, updated_at AS UpdatedAt";

    /// <summary>Stores a new sweep; returns false (and changes nothing) when the id already exists.</summary>
    public async Task<bool> InsertAsync(NewSweep sweep, CancellationToken cancellationToken = default)
    {
        DbText.RequireId(sweep.SweepId, nameof(sweep.SweepId));
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sweeps (sweep_id, name, spec) VALUES (@SweepId, @Name, CAST(@SpecJson AS jsonb)) ON CONFLICT (sweep_id) DO NOTHING",
            sweep, cancellationToken: cancellationToken));
        return inserted == 1;
    }

    public async Task<SweepRow?> GetAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SweepRow>(new CommandDefinition(
            $"SELECT {Columns} FROM sweeps WHERE sweep_id = @sweepId", new { sweepId }, cancellationToken: cancellationToken));
    }

    /// <summary>The id of a stored sweep equal to <paramref name="sweepId"/> ignoring case but not equal to it, or null.</summary>
    public async Task<string?> FindIgnoringCaseAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT sweep_id FROM sweeps WHERE lower(sweep_id) = lower(@sweepId) AND sweep_id <> @sweepId ORDER BY created_at LIMIT 1",
            new { sweepId }, cancellationToken: cancellationToken));
    }

    /// <summary>Newest first, each with its trials counted by status.</summary>
    public async Task<IReadOnlyList<SweepSummary>> ListAsync(int limit = 100, int offset = 0, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<SweepSummary>(new CommandDefinition($"""
            SELECT s.sweep_id AS SweepId, s.name AS Name, {DbText.SweepStatusOf("s.status")} AS Status, s.created_at AS CreatedAt, s.updated_at AS UpdatedAt,
                   count(t.trial_id) AS Trials,
                   count(*) FILTER (WHERE t.status = 'queued') AS Queued,
                   count(*) FILTER (WHERE t.status = 'running') AS Running,
                   count(*) FILTER (WHERE t.status = 'completed') AS Completed,
                   count(*) FILTER (WHERE t.status = 'failed') AS Failed,
                   count(*) FILTER (WHERE t.status = 'cancelled') AS Cancelled,
                   count(*) FILTER (WHERE t.status = 'stopped') AS Stopped
            FROM (SELECT * FROM sweeps ORDER BY created_at DESC, sweep_id LIMIT @limit OFFSET @offset) s
            LEFT JOIN trials t ON t.sweep_id = s.sweep_id
            GROUP BY s.sweep_id, s.name, s.status, s.created_at, s.updated_at
            ORDER BY s.created_at DESC, s.sweep_id
            """, new { limit, offset }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Sets the status; returns false when the sweep does not exist.</summary>
    public async Task<bool> SetStatusAsync(string sweepId, SweepStatus status, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sweeps SET status = @status, updated_at = now() WHERE sweep_id = @sweepId",
            new { sweepId, status = DbText.Of(status) }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Deletes a sweep with its trials, evals, rollout groups and metrics.</summary>
    public async Task<bool> DeleteAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM metrics WHERE trial_id IN (SELECT trial_id FROM trials WHERE sweep_id = @sweepId)",
            new { sweepId }, transaction, cancellationToken: cancellationToken));
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sweeps WHERE sweep_id = @sweepId", new { sweepId }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return deleted == 1;
    }
}
