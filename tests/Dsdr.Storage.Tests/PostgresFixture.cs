using Dsdr.Storage.Embedded;
using Npgsql;

namespace Dsdr.Storage.Tests;

/// <summary>One embedded PostgreSQL for the whole test run (ephemeral folder, fsync off) and a migrated template database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private const string TemplateDatabase = "dsdr_template";
    private int _databases;

    public EmbeddedPostgres Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(Path.GetTempPath(), $"dsdr-storage-tests-{Guid.NewGuid():N}"),
            Database = TemplateDatabase,
            Ephemeral = true,
        });
        await using var template = DsdrDatabase.FromConnectionString(Server.ConnectionStringFor(TemplateDatabase));
        await template.GetDataSourceAsync(); // migrates the template once; every test database is a copy of it
    }

    /// <summary>A fresh, migrated database of its own.</summary>
    public async Task<DsdrDatabase> NewDatabaseAsync()
    {
        var name = await CreateAsync(TemplateDatabase);
        return DsdrDatabase.FromConnectionString(Server.ConnectionStringFor(name));
    }

    /// <summary>A fresh, migrated database; returns its connection string.</summary>
    public async Task<string> NewDatabaseConnectionStringAsync() => Server.ConnectionStringFor(await CreateAsync(TemplateDatabase));

    /// <summary>A fresh database with no Dsdr schema; returns its connection string.</summary>
    public async Task<string> NewEmptyDatabaseAsync() => Server.ConnectionStringFor(await CreateAsync(template: null));

    private async Task<string> CreateAsync(string? template)
    {
        var name = $"test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await Server.CreateDatabaseAsync(name, template: template);
        return name;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

/// <summary>Base of tests that each get a fresh migrated database.</summary>
[Collection(PostgresCollection.Name)]
public abstract class DatabaseTest(PostgresFixture fixture) : IAsyncLifetime
{
    protected PostgresFixture Fixture { get; } = fixture;
    protected DsdrDatabase Database { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Database = await Fixture.NewDatabaseAsync();

    public virtual async Task DisposeAsync() => await Database.DisposeAsync();

    protected async Task<long> CountAsync(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenConnectionAsync();
        return await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, sql, parameters);
    }
}
