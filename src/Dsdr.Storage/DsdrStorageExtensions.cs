using Dsdr.Storage.Ingest;
using Dsdr.Storage.Orleans;
using Dsdr.Storage.Repositories;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Providers;
using Orleans.Runtime.Hosting;

namespace Dsdr.Storage;

/// <summary>Registers the platform's PostgreSQL (repositories, metric ingest) and the Orleans providers on it.</summary>
public static class DsdrStorageExtensions
{
    /// <summary>Name under which <see cref="AddDsdrPostgres"/> also registers the grain storage.</summary>
    public const string GrainStorageName = "dsdr";

    /// <summary>
    /// DsdrDatabase from configuration (ConnectionStrings:Dsdr, DSDR_PG, else the embedded server in Dsdr:DataDirectory),
    /// opened and migrated when the host starts and closed (embedded server stopped) when it is disposed; the repositories;
    /// a <see cref="MetricIngestor"/> that drains on dispose; a <see cref="MetricRollupMaintainer"/> that keeps the metric
    /// rollups caught up.
    /// </summary>
    public static IServiceCollection AddDsdrStorage(this IServiceCollection services, IConfiguration configuration,
        Func<DsdrDatabaseOptions, DsdrDatabaseOptions>? adjust = null)
    {
        var options = DsdrDatabaseOptions.FromConfiguration(configuration);
        return services.AddDsdrStorage(adjust is null ? options : adjust(options));
    }

    public static IServiceCollection AddDsdrStorage(this IServiceCollection services, DsdrDatabaseOptions options)
    {
        services.TryAddSingleton(sp => new DsdrDatabase(options, sp.GetService<ILoggerFactory>()));
        services.TryAddSingleton<SweepRepository>();
        services.TryAddSingleton<TrialRepository>();
        services.TryAddSingleton<MetricRepository>();
        services.TryAddSingleton<EvalRepository>();
        services.TryAddSingleton<EvalProblemRepository>();
        services.TryAddSingleton<RolloutGroupRepository>();
        services.TryAddSingleton<ProblemRepository>();
        services.TryAddSingleton<SlotRepository>();
        services.TryAddSingleton<SweepExportRepository>();
        services.TryAddSingleton(sp => new MetricIngestor(sp.GetRequiredService<DsdrDatabase>(),
            sp.GetService<IOptions<MetricIngestorOptions>>()?.Value, sp.GetService<ILogger<MetricIngestor>>()));
        services.AddHostedService<DsdrDatabaseStartup>();
        services.AddHostedService<MetricRollupMaintainer>();
        return services;
    }

    /// <summary>Everything a Dsdr silo keeps in PostgreSQL: clustering, grain storage (default and "dsdr"), reminders.</summary>
    public static ISiloBuilder AddDsdrPostgres(this ISiloBuilder builder, Action<DsdrGrainStorageOptions>? configureStorage = null)
    {
        builder.Services.AddDsdrStorage(builder.Configuration);
        return builder
            .UseDsdrClustering()
            .AddDsdrGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configureStorage)
            .AddDsdrGrainStorage(GrainStorageName, configureStorage)
            .UseDsdrReminders();
    }

    /// <summary>Cluster membership in PostgreSQL (needs <see cref="AddDsdrStorage(IServiceCollection, IConfiguration, Func{DsdrDatabaseOptions, DsdrDatabaseOptions}?)"/>).</summary>
    public static ISiloBuilder UseDsdrClustering(this ISiloBuilder builder)
    {
        builder.Services.AddSingleton<IMembershipTable>(sp => new PostgresMembershipTable(RequireDatabase(sp), sp.GetRequiredService<IOptions<ClusterOptions>>()));
        return builder;
    }

    /// <summary>Clients find gateways through the membership table.</summary>
    public static IClientBuilder UseDsdrClustering(this IClientBuilder builder)
    {
        builder.Services.AddDsdrStorage(builder.Configuration);
        builder.Services.AddSingleton<IGatewayListProvider>(sp => new PostgresGatewayListProvider(
            RequireDatabase(sp), sp.GetRequiredService<IOptions<ClusterOptions>>(), sp.GetRequiredService<IOptions<GatewayOptions>>()));
        return builder;
    }

    /// <summary>Grain storage provider <paramref name="name"/> (jsonb state, etag concurrency).</summary>
    public static ISiloBuilder AddDsdrGrainStorage(this ISiloBuilder builder, string name, Action<DsdrGrainStorageOptions>? configure = null)
    {
        var options = new DsdrGrainStorageOptions();
        configure?.Invoke(options);
        builder.Services.AddGrainStorage(name, (sp, key) =>
            new PostgresGrainStorage(key, RequireDatabase(sp), options, sp.GetRequiredService<IOptions<ClusterOptions>>()));
        return builder;
    }

    /// <summary>Orleans reminders with their table in PostgreSQL.</summary>
    public static ISiloBuilder UseDsdrReminders(this ISiloBuilder builder)
    {
        builder.Services.AddReminders();
        builder.Services.AddSingleton<IReminderTable>(sp => new PostgresReminderTable(RequireDatabase(sp), sp.GetRequiredService<IOptions<ClusterOptions>>()));
        return builder;
    }

    private static DsdrDatabase RequireDatabase(IServiceProvider services) =>
        services.GetService<DsdrDatabase>() ?? throw new InvalidOperationException(
            "Dsdr's Orleans providers need the database: call services.AddDsdrStorage(configuration) (or siloBuilder.AddDsdrPostgres()).");
}

/// <summary>Opens the database (embedded start, migrations) when the host starts, so a bad configuration fails early.</summary>
internal sealed class DsdrDatabaseStartup(DsdrDatabase database) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => database.GetDataSourceAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
