using Dapper;
using Dsdr.Storage.Embedded;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Dsdr.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class EmbeddedPostgresTests(PostgresFixture fixture)
{
    [Fact]
    public async Task The_shared_server_answers_on_loopback()
    {
        await using var connection = new NpgsqlConnection(fixture.Server.ConnectionStringFor("postgres"));
        await connection.OpenAsync();
        Assert.StartsWith("PostgreSQL", await connection.ExecuteScalarAsync<string>("SELECT version()"));
        Assert.Equal("127.0.0.1", new NpgsqlConnectionStringBuilder(fixture.Server.ConnectionString).Host);
        // The server never runs as root (postgres refuses it; as root the launcher runs it as an unprivileged user).
        var pid = int.Parse(File.ReadLines(Path.Combine(fixture.Server.DataDirectory, "postmaster.pid")).First());
        var uid = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:"))
            .Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.NotEqual("0", uid);
    }

    [Fact]
    public async Task A_second_start_finds_the_data_adopts_a_running_server_and_survives_a_stale_pid_file()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"dsdr-embedded-{Guid.NewGuid():N}");
        var options = new EmbeddedPostgresOptions { DataDirectory = folder, Database = "resume" };
        try
        {
            await using (var first = await EmbeddedPostgres.StartAsync(options))
            {
                await Execute(first, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before restart')");

                // A second launcher on the same folder while the first runs (as after a killed parent): it adopts the server.
                await using var adopted = await EmbeddedPostgres.StartAsync(options);
                Assert.Equal(first.Port, adopted.Port);
                Assert.Equal("before restart", await Scalar(adopted, "SELECT v FROM kept"));
            }

            // A killed run leaves postmaster.pid naming a dead process.
            await File.WriteAllTextAsync(Path.Combine(folder, "postmaster.pid"), "999999\n" + folder + "\n1700000000\n5432\n\n127.0.0.1\n0 0\nready   \n");
            await using (var resumed = await EmbeddedPostgres.StartAsync(options))
            {
                Assert.Equal("before restart", await Scalar(resumed, "SELECT v FROM kept"));
            }
            Assert.False(File.Exists(Path.Combine(folder, "postmaster.pid")), "dispose must stop the server");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Missing_binaries_say_how_to_install_them()
    {
        var error = Assert.Throws<PostgresNotFoundException>(() => PostgresBinaries.Locate("/nonexistent/postgres/bin"));
        Assert.Contains("apt-get install postgresql", error.Message);
        Assert.Contains("/nonexistent/postgres/bin", error.Message);
    }

    [Fact]
    public void The_machine_binaries_are_found()
    {
        var binaries = PostgresBinaries.Locate();
        Assert.True(File.Exists(binaries.InitDb), binaries.InitDb);
        Assert.True(File.Exists(binaries.PgCtl), binaries.PgCtl);
    }

    [Fact]
    public void Connection_comes_from_ConnectionStrings_Dsdr_then_DSDR_PG_else_embedded()
    {
        static DsdrDatabaseOptions From(Dictionary<string, string?> values) =>
            DsdrDatabaseOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

        Assert.Equal("Host=a", From(new() { ["ConnectionStrings:Dsdr"] = "Host=a", ["DSDR_PG"] = "Host=b" }).ConnectionString);
        Assert.Equal("Host=b", From(new() { ["DSDR_PG"] = "Host=b" }).ConnectionString);
        if (Environment.GetEnvironmentVariable(DsdrDatabaseOptions.EnvironmentVariable) is null)
        {
            var embedded = From(new() { ["Dsdr:DataDirectory"] = "/tmp/x" });
            Assert.Null(embedded.ConnectionString);
            Assert.Equal("/tmp/x", embedded.Embedded.DataDirectory);
        }
    }

    private static async Task Execute(EmbeddedPostgres server, string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.ExecuteAsync(sql);
    }

    private static async Task<string?> Scalar(EmbeddedPostgres server, string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        return await connection.ExecuteScalarAsync<string>(sql);
    }
}
