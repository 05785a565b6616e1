using Dsdr.Grains;
using Dsdr.Grains.Running;
using Dsdr.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Dsdr.Silo.Postgres;

/// <summary>Puts a Dsdr silo on the platform's PostgreSQL (Dsdr.Storage).</summary>
public static class DsdrPostgresSiloExtensions
{
    /// <summary>
    /// Grain storage "dsdr" and the reminder table in PostgreSQL, step metrics through the <c>MetricIngestor</c>
    /// (<see cref="PostgresTrialMetricSink"/>, which also fills the evals table), sweeps and trials mirrored into their tables
    /// (<see cref="PostgresRunMirror"/>), rollout groups and problems into theirs (<see cref="PostgresRolloutMirror"/>), the slot
    /// pool into slots (<see cref="PostgresSlotMirror"/>).
    /// The database is <paramref name="database"/>, or else read from configuration (ConnectionStrings:Dsdr, DSDR_PG,
    /// otherwise the embedded server).
    /// </summary>
    public static ISiloBuilder UseDsdrPostgresPersistence(this ISiloBuilder silo, DsdrDatabaseOptions? database = null)
    {
        AddDatabase(silo, database);
        silo.AddDsdrGrainStorage(DsdrSchedulingOptions.StorageProviderName);
        silo.UseDsdrReminders();
        silo.Services.AddSingleton<ITrialMetricSink, PostgresTrialMetricSink>();
        silo.Services.AddSingleton<IRunMirror, PostgresRunMirror>();
        silo.Services.AddSingleton<IRolloutMirror, PostgresRolloutMirror>();
        silo.Services.AddSingleton<ISlotMirror, PostgresSlotMirror>();
        return silo;
    }

    /// <summary>Cluster membership (and so the gateway list clients read) in PostgreSQL.</summary>
    public static ISiloBuilder UseDsdrPostgresClustering(this ISiloBuilder silo, DsdrDatabaseOptions? database = null)
    {
        AddDatabase(silo, database);
        silo.UseDsdrClustering();
        return silo;
    }

    /// <summary>
    /// These hooks with persistence in PostgreSQL and, in cluster mode, PostgreSQL membership; the runner,
    /// scheduling and Configure hooks are kept. A cluster needs one shared server: an embedded one per node would
    /// split it, so cluster mode refuses to run without a connection string.
    /// </summary>
    public static DsdrSiloHooks OnPostgres(this DsdrSiloHooks hooks, SiloMode mode, DsdrDatabaseOptions database)
    {
        if (mode == SiloMode.Cluster && database.ConnectionString is null)
            throw new ArgumentException(
                $"Cluster mode needs the cluster's shared PostgreSQL: set ConnectionStrings:Dsdr or {DsdrDatabaseOptions.EnvironmentVariable} " +
                "(e.g. DSDR_PG=\"Host=db;Username=dsdr;Password=…;Database=dsdr\"). The embedded server is for single-node mode only.",
                nameof(database));
        return new DsdrSiloHooks
        {
            Clustering = mode == SiloMode.Cluster ? silo => silo.UseDsdrPostgresClustering(database) : hooks.Clustering,
            Persistence = silo => silo.UseDsdrPostgresPersistence(database),
            Runner = hooks.Runner,
            Scheduling = hooks.Scheduling,
            Configure = hooks.Configure,
        };
    }

    private static void AddDatabase(ISiloBuilder silo, DsdrDatabaseOptions? database)
    {
        // AddDsdrStorage registers with TryAdd: the first database registered wins, so both hooks share one.
        if (database is null) silo.Services.AddDsdrStorage(silo.Configuration);
        else silo.Services.AddDsdrStorage(database);
    }
}
