using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Dsdr.Storage.Repositories;

/// <summary>Training-step metrics: idempotent bulk writes and downsampled curves.</summary>
public sealed class MetricRepository(DsdrDatabase database)
{
    /// <summary>Writes samples through binary COPY; samples already stored are skipped. Returns how many rows were new.</summary>
    public async Task<int> WriteAsync(IReadOnlyList<MetricSample> samples, CancellationToken cancellationToken = default)
    {
        if (samples.Count == 0) return 0;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await MetricCopy.WriteAsync(connection, samples, cancellationToken);
    }

    /// <summary>
    /// Curves of <paramref name="names"/> for each of <paramref name="trialIds"/>, ordered by step. A curve longer than
    /// <paramref name="maxPoints"/> is cut into maxPoints/2 equal step ranges and keeps each range's minimum and maximum
    /// point, so spikes survive downsampling (a tie for the maximum keeps the later step).
    /// </summary>
    public Task<IReadOnlyList<MetricSeries>> GetSeriesAsync(IReadOnlyCollection<string> trialIds, IReadOnlyCollection<string> names,
        int maxPoints = 1000, CancellationToken cancellationToken = default) =>
        GetSeriesAsync(trialIds, names, null, null, maxPoints, cancellationToken);

    /// <summary>
    /// The same, restricted to steps in [<paramref name="fromStep"/>, <paramref name="toStep"/>] (null: open): a zoomed
    /// chart asks for its window, so the window's points come back exact once they fit in <paramref name="maxPoints"/>.
    /// </summary>
    public async Task<IReadOnlyList<MetricSeries>> GetSeriesAsync(IReadOnlyCollection<string> trialIds, IReadOnlyCollection<string> names,
        int? fromStep, int? toStep, int maxPoints = 1000, CancellationToken cancellationToken = default)
    {
        if (maxPoints < 2) throw new ArgumentOutOfRangeException(nameof(maxPoints), maxPoints, "maxPoints must be at least 2 (one minimum and one maximum per bucket).");
        if (trialIds.Count == 0 || names.Count == 0) return [];
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<SeriesRow>(new CommandDefinition("""
            WITH m AS (
                SELECT trial_id, name, step, value FROM metrics WHERE trial_id = ANY(@trials) AND name = ANY(@names)
                  AND step >= @fromStep AND step <= @toStep
            ), extent AS (
                SELECT trial_id, name, min(step) AS lo, max(step) AS hi, count(*) AS n FROM m GROUP BY trial_id, name
            ), bucketed AS (
                SELECT m.trial_id, m.name, m.step, m.value, extent.n,
                       CASE WHEN extent.n <= @maxPoints THEN m.step
                            ELSE width_bucket(m.step::float8, extent.lo::float8, extent.hi::float8 + 1, @buckets) END AS bucket
                FROM m JOIN extent USING (trial_id, name)
            ), ranked AS (
                -- One sort per bucket serves both ends: rank 1 is the minimum, rank = size the maximum.
                SELECT trial_id, name, step, value, n,
                       row_number() OVER bucket_by_value AS rank,
                       count(*) OVER (PARTITION BY trial_id, name, bucket) AS size
                FROM bucketed
                WINDOW bucket_by_value AS (PARTITION BY trial_id, name, bucket ORDER BY value, step)
            )
            SELECT trial_id AS TrialId, name AS Name, step AS Step, value AS Value, n AS Total
            FROM ranked WHERE rank = 1 OR rank = size
            ORDER BY trial_id, name, step
            """,
            new { trials = trialIds.ToArray(), names = names.ToArray(), maxPoints = (long)maxPoints, buckets = maxPoints / 2,
                  fromStep = fromStep ?? int.MinValue, toStep = toStep ?? int.MaxValue },
            cancellationToken: cancellationToken));

        var series = new List<MetricSeries>();
        foreach (var group in rows.GroupBy(r => (r.TrialId, r.Name)))
        {
            var points = group.Select(r => new MetricPoint(r.Step, r.Value)).ToList();
            series.Add(new MetricSeries(group.Key.TrialId, group.Key.Name, points, group.First().Total));
        }
        return series;
    }

    /// <summary>The names of the metrics a trial has recorded.</summary>
    public async Task<IReadOnlyList<string>> NamesAsync(string trialId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT name FROM metrics WHERE trial_id = @trialId ORDER BY name", new { trialId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Each metric's value at the trial's latest recorded step.</summary>
    public async Task<IReadOnlyList<MetricSample>> LatestAsync(string trialId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<MetricSample>(new CommandDefinition("""
            SELECT DISTINCT ON (name) trial_id AS TrialId, step AS Step, name AS Name, value AS Value
            FROM metrics WHERE trial_id = @trialId ORDER BY name, step DESC
            """, new { trialId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Each trial's last step with a value of <paramref name="name"/> (one index probe per trial); trials without one are left out.</summary>
    public async Task<IReadOnlyDictionary<string, int>> LastStepsAsync(IReadOnlyCollection<string> trialIds, string name, CancellationToken cancellationToken = default)
    {
        if (trialIds.Count == 0) return new Dictionary<string, int>();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string TrialId, int? Step)>(new CommandDefinition("""
            SELECT t.id, (SELECT max(m.step) FROM metrics m WHERE m.trial_id = t.id AND m.name = @name)
            FROM unnest(@ids) AS t(id)
            """, new { ids = trialIds.ToArray(), name }, cancellationToken: cancellationToken));
        return rows.Where(r => r.Step is not null).ToDictionary(r => r.TrialId, r => r.Step!.Value, StringComparer.Ordinal);
    }

    private sealed record SeriesRow(string TrialId, string Name, int Step, double Value, long Total);
}

/// <summary>
/// The idempotent bulk write of metric samples, one transaction per batch. Fast path: binary COPY straight into metrics
/// under a savepoint (a fresh batch). When any row of the batch is stored already (a retried batch whose commit was
/// acknowledged too late, or another writer) the COPY fails on the primary key, the savepoint is rolled back, and the
/// batch goes the duplicate-safe way: binary COPY into a session-local staging table, then INSERT … ON CONFLICT DO NOTHING.
/// Either way a batch is stored exactly once.
/// </summary>
public static class MetricCopy
{
    private const string Columns = "(trial_id, name, step, value)";

    /// <summary>Stores <paramref name="samples"/>; returns how many rows were new.</summary>
    public static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<MetricSample> samples, CancellationToken cancellationToken = default)
    {
        Validate(samples);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await transaction.SaveAsync("direct_copy", cancellationToken);
        try
        {
            // Key order: consecutive index insertions land on the same leaf pages.
            var ordered = samples.OrderBy(m => m.TrialId, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Step).ToList();
            var copied = await CopyAsync(connection, $"COPY metrics {Columns} FROM STDIN (FORMAT BINARY)", ordered, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (int)copied;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync("direct_copy", cancellationToken);
        }
        var inserted = await MergeThroughStagingAsync(connection, samples, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>The duplicate-safe path alone (COPY → staging → INSERT … ON CONFLICT DO NOTHING), in its own transaction.</summary>
    public static async Task<int> WriteStagedAsync(NpgsqlConnection connection, IReadOnlyList<MetricSample> samples, CancellationToken cancellationToken = default)
    {
        Validate(samples);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await MergeThroughStagingAsync(connection, samples, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    private static async Task<int> MergeThroughStagingAsync(NpgsqlConnection connection, IReadOnlyList<MetricSample> samples, CancellationToken cancellationToken)
    {
        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE IF NOT EXISTS metrics_staging (trial_id text, name text, step integer, value double precision) ON COMMIT DELETE ROWS",
            connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        await CopyAsync(connection, $"COPY metrics_staging {Columns} FROM STDIN (FORMAT BINARY)", samples, cancellationToken);
        await using var merge = new NpgsqlCommand($"""
            INSERT INTO metrics {Columns}
            SELECT trial_id, name, step, value FROM metrics_staging ORDER BY trial_id, name, step
            ON CONFLICT DO NOTHING
            """, connection);
        return await merge.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<ulong> CopyAsync(NpgsqlConnection connection, string copyCommand, IReadOnlyList<MetricSample> samples, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(copyCommand, cancellationToken);
        // Synchronous writes fill Npgsql's buffer and only block when it is sent; per-field async calls cost ~2x here.
        foreach (var sample in samples)
        {
            importer.StartRow();
            importer.Write(sample.TrialId, NpgsqlDbType.Text);
            importer.Write(sample.Name, NpgsqlDbType.Text);
            importer.Write(sample.Step, NpgsqlDbType.Integer);
            importer.Write(sample.Value, NpgsqlDbType.Double);
        }
        return await importer.CompleteAsync(cancellationToken);
    }

    private static void Validate(IReadOnlyList<MetricSample> samples)
    {
        foreach (var sample in samples)
        {
            if (string.IsNullOrEmpty(sample.TrialId) || string.IsNullOrEmpty(sample.Name))
                throw new ArgumentException($"Metric sample {sample} needs a trial id and a name.", nameof(samples));
        }
    }
}
