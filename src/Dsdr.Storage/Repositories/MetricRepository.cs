using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Dsdr.Storage.Repositories;

/// <summary>Training-step metrics: idempotent bulk writes and downsampled curves (from metric_rollups where a window is long).</summary>
public sealed class MetricRepository(DsdrDatabase database)
{
    /// <summary>
    /// Writes samples through binary COPY (samples already stored are skipped), then catches up the rollups of their
    /// series, so metric_rollups hold them when it returns (the <see cref="Ingest.MetricIngestor"/> leaves that to the
    /// background instead). Returns how many rows were new.
    /// </summary>
    public async Task<int> WriteAsync(IReadOnlyList<MetricSample> samples, CancellationToken cancellationToken = default)
    {
        if (samples.Count == 0) return 0;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var inserted = await MetricCopy.WriteAsync(connection, samples, cancellationToken);
        if (inserted > 0)
            await MetricRollups.CatchUpAsync(connection, [.. samples.Select(s => (s.TrialId, s.Name)).Distinct()], cancellationToken);
        return inserted;
    }

    /// <summary>
    /// Curves of <paramref name="names"/> for each of <paramref name="trialIds"/>, ordered by step: every point of a curve
    /// that has at most <paramref name="maxPoints"/>, else each bucket's minimum and maximum point (at most
    /// <paramref name="maxPoints"/> / 2 buckets, <see cref="GetSummariesAsync"/>), so spikes survive downsampling (a tie
    /// for the maximum keeps the later step, for the minimum the earlier).
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
        var summaries = await GetSummariesAsync(trialIds, names, fromStep, toStep, maxPoints / 2, maxPoints, cancellationToken);
        return [.. summaries.Select(s => new MetricSeries(s.TrialId, s.Name, MetricBuckets.MinMaxPoints(s), s.TotalPoints))];
    }

    /// <summary>
    /// The series of <paramref name="names"/> × <paramref name="trialIds"/> in [<paramref name="fromStep"/>,
    /// <paramref name="toStep"/>] (null: open) for a chart: a series with at most <paramref name="exactUpTo"/> points in the
    /// window comes back whole (width 1); the others as at most <paramref name="maxBuckets"/> buckets of one width shared by
    /// every series (<see cref="SummaryPlan.For"/> over the window all of them span), summed from metric_rollups, so a
    /// long window costs a few hundred rows per series whatever its length. Series without points are left out.
    /// </summary>
    public async Task<IReadOnlyList<MetricSummary>> GetSummariesAsync(IReadOnlyCollection<string> trialIds, IReadOnlyCollection<string> names,
        int? fromStep, int? toStep, int maxBuckets, int exactUpTo, CancellationToken cancellationToken = default)
    {
        if (maxBuckets < 1) throw new ArgumentOutOfRangeException(nameof(maxBuckets), maxBuckets, "maxBuckets must be at least 1.");
        if (trialIds.Count == 0 || names.Count == 0) return [];
        var (from, to) = (fromStep ?? int.MinValue, toStep ?? int.MaxValue);
        if (from > to) return [];
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        // Where each series starts and ends inside the window: two index probes per series.
        var extents = (await connection.QueryAsync<(string TrialId, string Name, int? Lo, int? Hi)>(new CommandDefinition("""
            SELECT t.id, n.name,
                   (SELECT min(step) FROM metrics m WHERE m.trial_id = t.id AND m.name = n.name AND m.step BETWEEN @from AND @to),
                   (SELECT max(step) FROM metrics m WHERE m.trial_id = t.id AND m.name = n.name AND m.step BETWEEN @from AND @to)
            FROM unnest(@trials) AS t(id) CROSS JOIN unnest(@names) AS n(name)
            """, new { trials = trialIds.Distinct().ToArray(), names = names.Distinct().ToArray(), from, to }, cancellationToken: cancellationToken)))
            .Where(e => e.Lo is not null).ToList();
        if (extents.Count == 0) return [];
        var plan = SummaryPlan.For(extents.Min(e => e.Lo!.Value), extents.Max(e => e.Hi!.Value), maxBuckets, exactUpTo);
        var keys = extents.Select(e => (e.TrialId, e.Name)).ToList();

        var result = new Dictionary<(string TrialId, string Name), MetricSummary>();
        if (plan.Level == 1)
        {
            foreach (var (key, points) in await PointsAsync(connection, keys, from, to, cancellationToken))
                result[key] = points.Count <= exactUpTo
                    ? new MetricSummary(key.TrialId, key.Name, 1, [.. points.Select(p => MetricBucket.Point(p.Step, p.Value))], points.Count)
                    : new MetricSummary(key.TrialId, key.Name, plan.Width, MetricBuckets.FromPoints(points, plan.Width), points.Count);
        }
        else
        {
            // writes leave the rollups to a catch-up (db/0007): these series' own first, so what is read is exact
            await MetricRollups.CatchUpAsync(connection, keys, cancellationToken);
            var rows = await connection.QueryAsync<RollupRow>(new CommandDefinition("""
                SELECT r.trial_id AS TrialId, r.name AS Name, r.bucket AS Bucket, r.n AS N, r.value_sum AS Sum,
                       r.min_value AS Min, r.min_step AS MinStep, r.max_value AS Max, r.max_step AS MaxStep
                FROM unnest(@trials, @names) AS s(trial_id, name)
                JOIN metric_rollups r ON r.trial_id = s.trial_id AND r.name = s.name AND r.width = @level
                 AND r.bucket BETWEEN floor(@from / @level::float8) AND floor(@to / @level::float8)
                ORDER BY r.trial_id, r.name, r.bucket
                """,
                new { trials = keys.Select(k => k.TrialId).ToArray(), names = keys.Select(k => k.Name).ToArray(), level = plan.Level, from, to },
                cancellationToken: cancellationToken));
            var sparse = new List<(string TrialId, string Name)>();
            foreach (var group in rows.GroupBy(r => (r.TrialId, r.Name)))
            {
                var total = group.Sum(r => (long)r.N);
                if (total <= exactUpTo) { sparse.Add(group.Key); continue; }
                var level = group.Select(r => new MetricBucket(r.Bucket, r.N, r.Sum, r.Min, r.MinStep, r.Max, r.MaxStep));
                result[group.Key] = new MetricSummary(group.Key.TrialId, group.Key.Name, plan.Width, MetricBuckets.FromLevel(level, plan.Level, plan.Width), total);
            }
            // a series with few points in a long window (say, one every 50 steps) keeps them all
            foreach (var (key, points) in await PointsAsync(connection, sparse, from, to, cancellationToken))
                result[key] = new MetricSummary(key.TrialId, key.Name, 1, [.. points.Select(p => MetricBucket.Point(p.Step, p.Value))], points.Count);
        }
        return [.. keys.Where(result.ContainsKey).Select(k => result[k]).OrderBy(s => s.TrialId, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>Every stored point of the given series in [from, to], by step.</summary>
    private static async Task<IReadOnlyList<((string TrialId, string Name) Key, List<MetricPoint> Points)>> PointsAsync(NpgsqlConnection connection,
        IReadOnlyList<(string TrialId, string Name)> series, int from, int to, CancellationToken cancellationToken)
    {
        if (series.Count == 0) return [];
        var rows = await connection.QueryAsync<(string TrialId, string Name, int Step, double Value)>(new CommandDefinition("""
            SELECT m.trial_id, m.name, m.step, m.value
            FROM unnest(@trials, @names) AS s(trial_id, name)
            JOIN metrics m ON m.trial_id = s.trial_id AND m.name = s.name AND m.step BETWEEN @from AND @to
            ORDER BY m.trial_id, m.name, m.step
            """,
            new { trials = series.Select(k => k.TrialId).ToArray(), names = series.Select(k => k.Name).ToArray(), from, to },
            cancellationToken: cancellationToken));
        return [.. rows.GroupBy(r => (r.TrialId, r.Name)).Select(g => (g.Key, g.Select(r => new MetricPoint(r.Step, r.Value)).ToList()))];
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

    private sealed record RollupRow(string TrialId, string Name, int Bucket, int N, double Sum, double Min, int MinStep, double Max, int MaxStep);
}

/// <summary>
/// The idempotent bulk write of metric samples, one transaction per batch. Fast path: binary COPY straight into metrics
/// under a savepoint (a fresh batch). When any row of the batch is stored already (a retried batch whose commit was
/// acknowledged too late, or another writer) the COPY fails on the primary key, the savepoint is rolled back, and the
/// batch goes the duplicate-safe way: binary COPY into a session-local staging table, then INSERT … ON CONFLICT DO NOTHING.
/// Either way a batch is stored exactly once. The transaction records, from what the batch knows of itself, the step
/// range of each of its series for the rollups' catch-up and announces its trials (db/0007's dsdr_metrics_written),
/// so the insert trigger that does this for other writers stays out of its way; a batch that stored nothing new is
/// rolled back, record and announcement with it.
/// </summary>
public static class MetricCopy
{
    private const string Columns = "(trial_id, name, step, value)";

    /// <summary>Stores <paramref name="samples"/>; returns how many rows were new.</summary>
    public static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<MetricSample> samples, CancellationToken cancellationToken = default)
    {
        Validate(samples);
        // Key order: consecutive index insertions land on the same leaf pages, and each series' samples are adjacent.
        var ordered = InKeyOrder(samples);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await BeginLoggedAsync(connection, transaction, ordered, "SAVEPOINT direct_copy", cancellationToken);
        int inserted;
        try
        {
            inserted = (int)await CopyAsync(connection, $"COPY metrics {Columns} FROM STDIN (FORMAT BINARY)", ordered, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync("direct_copy", cancellationToken);
            await CreateStagingAsync(connection, cancellationToken);
            inserted = await MergeThroughStagingAsync(connection, ordered, cancellationToken);
        }
        await EndAsync(transaction, inserted, cancellationToken);
        return inserted;
    }

    /// <summary>The duplicate-safe path alone (COPY → staging → INSERT … ON CONFLICT DO NOTHING), in its own transaction.</summary>
    public static async Task<int> WriteStagedAsync(NpgsqlConnection connection, IReadOnlyList<MetricSample> samples, CancellationToken cancellationToken = default)
    {
        Validate(samples);
        var ordered = InKeyOrder(samples);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await BeginLoggedAsync(connection, transaction, ordered, CreateStaging, cancellationToken);
        var inserted = await MergeThroughStagingAsync(connection, ordered, cancellationToken);
        await EndAsync(transaction, inserted, cancellationToken);
        return inserted;
    }

    /// <summary>The series of samples in key order (trial, name, step): each one's first and last step, as parallel arrays.</summary>
    public sealed record SeriesSteps(string[] Trials, string[] Names, int[] FirstSteps, int[] LastSteps);

    /// <summary>Each series' [first, last] step of <paramref name="ordered"/>, which is sorted by trial, name, step (ordinal).</summary>
    public static SeriesSteps StepRanges(IReadOnlyList<MetricSample> ordered)
    {
        var (trials, names, firsts, lasts) = (new List<string>(), new List<string>(), new List<int>(), new List<int>());
        for (var i = 0; i < ordered.Count; i++)
        {
            var sample = ordered[i];
            if (i > 0 && sample.TrialId == ordered[i - 1].TrialId && sample.Name == ordered[i - 1].Name)
            {
                lasts[^1] = sample.Step;
                continue;
            }
            trials.Add(sample.TrialId);
            names.Add(sample.Name);
            firsts.Add(sample.Step);
            lasts.Add(sample.Step);
        }
        return new SeriesSteps([.. trials], [.. names], [.. firsts], [.. lasts]);
    }

    private static List<MetricSample> InKeyOrder(IReadOnlyList<MetricSample> samples) =>
        samples.OrderBy(m => m.TrialId, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Step).ToList();

    private const string CreateStaging =
        "CREATE TEMP TABLE IF NOT EXISTS metrics_staging (trial_id text, name text, step integer, value double precision) ON COMMIT DELETE ROWS";

    // In the round trip that begins the transaction, before any row is written: the mark that makes db/0007's insert
    // trigger skip this transaction's statements, the record of every series of the batch (some rows may turn out to
    // be stored already: the catch-up recomputes from metrics, so a wider range costs time, never exactness), then
    // `next` (the savepoint, or the staging table).
    private static async Task BeginLoggedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<MetricSample> ordered, string next,
        CancellationToken cancellationToken)
    {
        var series = StepRanges(ordered);
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT set_config('dsdr.metric_writes_logged', 'on', true)"),
                new NpgsqlBatchCommand("SELECT dsdr_metrics_written($1, $2, $3, $4)")
                {
                    Parameters =
                    {
                        new NpgsqlParameter { Value = series.Trials, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                        new NpgsqlParameter { Value = series.Names, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                        new NpgsqlParameter { Value = series.FirstSteps, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer },
                        new NpgsqlParameter { Value = series.LastSteps, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer },
                    },
                },
                new NpgsqlBatchCommand(next),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    // Nothing new: nothing to keep, and no announcement of a replay.
    private static Task EndAsync(NpgsqlTransaction transaction, int inserted, CancellationToken cancellationToken) =>
        inserted > 0 ? transaction.CommitAsync(cancellationToken) : transaction.RollbackAsync(cancellationToken);

    private static async Task CreateStagingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var create = new NpgsqlCommand(CreateStaging, connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<int> MergeThroughStagingAsync(NpgsqlConnection connection, IReadOnlyList<MetricSample> samples, CancellationToken cancellationToken)
    {
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
