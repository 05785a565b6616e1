using Dsdr.Storage;
using Dsdr.Storage.Embedded;
using Npgsql;

namespace Dsdr.Grains.Tests;

/// <summary>
/// One embedded PostgreSQL (Dsdr.Storage's launcher, ephemeral folder, fsync off) for the whole test run, with a
/// migrated template; every cluster test gets a fresh database copied from it.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string TemplateDatabase = "dsdr_grains_template";
    private int _databases;

    public EmbeddedPostgres Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(Path.GetTempPath(), $"dsdr-grains-tests-{Guid.NewGuid():N}"),
            Database = TemplateDatabase,
            Ephemeral = true,
        });
        await using var template = DsdrDatabase.FromConnectionString(Server.ConnectionStringFor(TemplateDatabase));
        await template.GetDataSourceAsync(); // migrates the template once
    }

    /// <summary>A fresh, migrated database; returns its connection string.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"grains_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await Server.CreateDatabaseAsync(name, template: TemplateDatabase);
        return Server.ConnectionStringFor(name);
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Server.DisposeAsync();
    }
}

/// <summary>The cluster tests run one after another (2 cores) and share the PostgreSQL server.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "cluster";
}
