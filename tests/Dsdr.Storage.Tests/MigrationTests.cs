using Dapper;
using Dsdr.Storage.Migrations;
using Npgsql;

namespace Dsdr.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class MigrationTests(PostgresFixture fixture)
{
    private static readonly string[] Tables =
    [
        "sweeps", "trials", "metrics", "evals", "rollout_groups", "problems", "slots",
        "orleans_grain_state", "orleans_reminders", "orleans_membership_version", "orleans_membership",
    ];

    [Fact]
    public async Task Fresh_database_gets_every_migration_in_order()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.NewEmptyDatabaseAsync());
        var runner = new MigrationRunner(dataSource);

        var result = await runner.MigrateAsync();

        Assert.True(runner.Migrations.Count >= 2);
        Assert.Equal(runner.Migrations.Select(m => m.Version), result.Applied.Select(m => m.Version));
        Assert.Equal(runner.Migrations[^1].Version, result.CurrentVersion);
        await using var connection = await dataSource.OpenConnectionAsync();
        var tables = (await connection.QueryAsync<string>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).ToHashSet();
        Assert.All(Tables, t => Assert.Contains(t, tables));
        var recorded = (await connection.QueryAsync<int>("SELECT version FROM schema_version ORDER BY version")).ToList();
        Assert.Equal(runner.Migrations.Select(m => m.Version), recorded);
    }

    [Fact]
    public async Task Status_reports_pending_then_current_then_unknown_migrations()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.NewEmptyDatabaseAsync());
        var runner = new MigrationRunner(dataSource);

        var before = await runner.StatusAsync();
        Assert.Equal((0, runner.Migrations.Count, false), (before.Applied.Count, before.Pending.Count, before.IsCurrent));
        await runner.MigrateAsync();
        Assert.True((await runner.StatusAsync()).IsCurrent);
        await using (var connection = await dataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("INSERT INTO schema_version (version, name, checksum) VALUES (9999, 'from_the_future', 'x')");
        Assert.Equal(["9999_from_the_future"], (await runner.StatusAsync()).Unknown);
    }

    [Fact]
    public async Task Running_again_is_a_no_op()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.NewEmptyDatabaseAsync());
        await new MigrationRunner(dataSource).MigrateAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        var appliedAt = (await connection.QueryAsync<DateTime>("SELECT applied_at FROM schema_version ORDER BY version")).ToList();

        var second = await new MigrationRunner(dataSource).MigrateAsync();

        Assert.Empty(second.Applied);
        Assert.Equal(appliedAt, await connection.QueryAsync<DateTime>("SELECT applied_at FROM schema_version ORDER BY version"));
    }

    [Fact]
    public async Task Two_runners_at_once_apply_each_migration_once()
    {
        var connectionString = await fixture.NewEmptyDatabaseAsync();
        await using var first = NpgsqlDataSource.Create(connectionString);
        await using var second = NpgsqlDataSource.Create(connectionString);

        var results = await Task.WhenAll(new MigrationRunner(first).MigrateAsync(), new MigrationRunner(second).MigrateAsync());

        var migrations = MigrationRunner.EmbeddedMigrations();
        Assert.Equal(migrations.Count, results.Sum(r => r.Applied.Count));
        await using var connection = await first.OpenConnectionAsync();
        Assert.Equal(migrations.Count, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_version"));
    }

    [Fact]
    public async Task A_database_with_an_unknown_newer_migration_is_refused()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.NewEmptyDatabaseAsync());
        await new MigrationRunner(dataSource).MigrateAsync();
        await using (var connection = await dataSource.OpenConnectionAsync())
            await connection.ExecuteAsync("INSERT INTO schema_version (version, name, checksum) VALUES (9999, 'from_the_future', 'x')");

        var error = await Assert.ThrowsAsync<MigrationMismatchException>(() => new MigrationRunner(dataSource).MigrateAsync());

        Assert.Contains("9999_from_the_future", error.Message);
        Assert.Contains("newer Dsdr", error.Message);
    }

    [Fact]
    public async Task A_migration_changed_after_it_was_applied_is_refused()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.NewEmptyDatabaseAsync());
        var original = new Migration(1, "one", "CREATE TABLE one (id int)");
        await new MigrationRunner(dataSource, [original]).MigrateAsync();

        var edited = original with { Sql = "CREATE TABLE one (id bigint)" };
        var error = await Assert.ThrowsAsync<MigrationMismatchException>(() => new MigrationRunner(dataSource, [edited]).MigrateAsync());
        Assert.Contains("changed after it was applied", error.Message);
    }

    [Fact]
    public async Task A_failing_script_rolls_back_and_is_not_recorded()
    {
        await using var dataSource = NpgsqlDataSource.Create(await fixture.NewEmptyDatabaseAsync());
        Migration[] scripts = [new(1, "good", "CREATE TABLE good (id int)"), new(2, "bad", "CREATE TABLE half (id int); SELECT no_such_function()")];

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new MigrationRunner(dataSource, scripts).MigrateAsync());

        Assert.Contains("0002_bad", error.Message);
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal([1], await connection.QueryAsync<int>("SELECT version FROM schema_version"));
        Assert.Null(await connection.ExecuteScalarAsync<string>("SELECT to_regclass('half')::text"));
    }

    [Theory]
    [InlineData("0001_core.sql", 1, "core")]
    [InlineData("0042_add_index.sql", 42, "add_index")]
    public void File_names_give_version_and_name(string file, int version, string name)
    {
        var migration = MigrationRunner.Parse(file, "SELECT 1");
        Assert.Equal((version, name), (migration.Version, migration.Name));
    }

    [Fact]
    public void A_badly_named_file_is_rejected_with_the_expected_pattern()
    {
        var error = Assert.Throws<ArgumentException>(() => MigrationRunner.Parse("core.sql", "SELECT 1"));
        Assert.Contains("NNNN_name.sql", error.Message);
    }
}
