using Dapper;
using Npgsql;

namespace Dsdr.Storage.Repositories;

/// <summary>
/// The catch-up of metric_rollups (db/0007): writes record the step ranges they touched, and a catch-up recomputes the
/// touched buckets from metrics. <see cref="MetricRepository"/> catches up the series it reads from the rollups before
/// it reads them; <see cref="Ingest.MetricRollupMaintainer"/> catches up everything in the background.
/// </summary>
public static class MetricRollups
{
    /// <summary>
    /// Applies the pending ranges of the given series (every series when <paramref name="series"/> is null) and returns how
    /// many it applied. Afterwards the rollups of those series hold every row committed before the call.
    /// </summary>
    public static async Task<int> CatchUpAsync(NpgsqlConnection connection, IReadOnlyCollection<(string TrialId, string Name)>? series = null,
        CancellationToken cancellationToken = default)
    {
        if (series is { Count: 0 }) return 0;
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT dsdr_metric_rollups_catch_up(@trials::text[], @names::text[])",
            new { trials = series?.Select(s => s.TrialId).ToArray(), names = series?.Select(s => s.Name).ToArray() },
            commandTimeout: 0, cancellationToken: cancellationToken));
    }

    /// <summary>How many step ranges wait for a catch-up.</summary>
    public static async Task<long> PendingAsync(NpgsqlConnection connection, CancellationToken cancellationToken = default) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM metric_rollup_pending", cancellationToken: cancellationToken));
}
