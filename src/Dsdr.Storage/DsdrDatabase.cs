using Dsdr.Storage.Embedded;
using Dsdr.Storage.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Dsdr.Storage;

/// <summary>Where the platform's database is: a connection string, or (when null) the embedded server.</summary>
public sealed record DsdrDatabaseOptions
{
    /// <summary>Environment variable read when ConnectionStrings:Dsdr is absent.</summary>
    public const string EnvironmentVariable = "DSDR_PG";

    public string? ConnectionString { get; init; }
    public EmbeddedPostgresOptions Embedded { get; init; } = new();

    /// <summary>Apply db/ migrations when the database is first opened.</summary>
    public bool Migrate { get; init; } = true;

    /// <summary>
    /// ConnectionStrings:Dsdr, else the DSDR_PG setting (configuration key or environment variable); none → embedded.
    /// Dsdr:DataDirectory chooses the embedded server's data folder.
    /// </summary>
    public static DsdrDatabaseOptions FromConfiguration(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Dsdr");
        if (string.IsNullOrWhiteSpace(connectionString)) connectionString = configuration[EnvironmentVariable];
        if (string.IsNullOrWhiteSpace(connectionString)) connectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        var dataDirectory = configuration["Dsdr:DataDirectory"];
        return new DsdrDatabaseOptions
        {
            ConnectionString = string.IsNullOrWhiteSpace(connectionString) ? null : connectionString,
            Embedded = new EmbeddedPostgresOptions { DataDirectory = string.IsNullOrWhiteSpace(dataDirectory) ? null : dataDirectory },
        };
    }
}

/// <summary>
/// The platform's PostgreSQL: opened once on first use (starting the embedded server when no connection string is
/// configured, then migrating), shared by repositories, the metric ingestor and the Orleans providers.
/// Disposing closes the pool and stops an embedded server.
/// </summary>
public sealed class DsdrDatabase : IAsyncDisposable
{
    private readonly DsdrDatabaseOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Lazy<Task<NpgsqlDataSource>> _open;
    private EmbeddedPostgres? _embedded;

    public DsdrDatabase(DsdrDatabaseOptions options, ILoggerFactory? loggerFactory = null)
    {
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _open = new Lazy<Task<NpgsqlDataSource>>(() => OpenAsync(CancellationToken.None));
    }

    /// <summary>A database reached through <paramref name="connectionString"/>, migrated on first use.</summary>
    public static DsdrDatabase FromConnectionString(string connectionString, bool migrate = true, ILoggerFactory? loggerFactory = null) =>
        new(new DsdrDatabaseOptions { ConnectionString = connectionString, Migrate = migrate }, loggerFactory);

    /// <summary>The embedded server, when this database runs on one (after the first open).</summary>
    public EmbeddedPostgres? Embedded => _embedded;

    /// <summary>Opens (once) and returns the pooled data source; later calls return the same one.</summary>
    public Task<NpgsqlDataSource> GetDataSourceAsync(CancellationToken cancellationToken = default) =>
        _open.Value.WaitAsync(cancellationToken);

    public async ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        var dataSource = await GetDataSourceAsync(cancellationToken);
        return await dataSource.OpenConnectionAsync(cancellationToken);
    }

    /// <summary>Drops idle pooled connections (after the server restarted they are dead and would fail once each).</summary>
    public void ClearPool()
    {
        if (_open.IsValueCreated && _open.Value.IsCompletedSuccessfully) _open.Value.Result.Clear();
    }

    private async Task<NpgsqlDataSource> OpenAsync(CancellationToken cancellationToken)
    {
        var connectionString = _options.ConnectionString;
        if (connectionString is null)
        {
            _embedded = await EmbeddedPostgres.StartAsync(_options.Embedded, _loggerFactory.CreateLogger<EmbeddedPostgres>(), cancellationToken);
            connectionString = _embedded.ConnectionString;
        }
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseLoggerFactory(_loggerFactory);
        var dataSource = builder.Build();
        if (_options.Migrate)
            await new MigrationRunner(dataSource, logger: _loggerFactory.CreateLogger<MigrationRunner>()).MigrateAsync(cancellationToken);
        return dataSource;
    }

    public async ValueTask DisposeAsync()
    {
        if (_open.IsValueCreated)
        {
            try
            {
                var dataSource = await _open.Value;
                await dataSource.DisposeAsync();
            }
            catch (Exception)
            {
                // Opening failed: nothing to close; the failure was reported to whoever awaited it.
            }
        }
        if (_embedded is not null) await _embedded.DisposeAsync();
    }
}
