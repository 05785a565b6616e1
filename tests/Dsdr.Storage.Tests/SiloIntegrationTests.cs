using System.Net;
using System.Net.Sockets;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Dsdr.Storage.Tests;

public interface IProbeGrain : IGrainWithStringKey
{
    Task<int> Increment();
    Task RegisterTick();
}

[GenerateSerializer]
public sealed class ProbeState
{
    [Id(0)] public int Count { get; set; }
}

public sealed class ProbeGrain([PersistentState("probe", DsdrStorageExtensions.GrainStorageName)] IPersistentState<ProbeState> state)
    : Grain, IProbeGrain, IRemindable
{
    public async Task<int> Increment()
    {
        state.State.Count++;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task RegisterTick() => this.RegisterOrUpdateReminder("tick", TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}

[Collection(PostgresCollection.Name)]
public sealed class SiloIntegrationTests(PostgresFixture fixture)
{
    [Fact]
    public async Task A_silo_on_AddDsdrPostgres_joins_through_the_table_keeps_grain_state_across_restarts_and_stores_reminders()
    {
        var connectionString = await fixture.NewDatabaseConnectionStringAsync();

        using (var first = await StartSiloAsync(connectionString))
        {
            var probe = first.Services.GetRequiredService<IGrainFactory>().GetGrain<IProbeGrain>("p1");
            Assert.Equal(1, await probe.Increment());
            Assert.Equal(2, await probe.Increment());
            await probe.RegisterTick();

            await using var connection = new NpgsqlConnection(connectionString);
            Assert.Equal(2, await connection.ExecuteScalarAsync<int>(
                "SELECT (state->>'Count')::int FROM orleans_grain_state WHERE service_id = 'dsdr-it' AND state_name = 'probe'"));
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM orleans_reminders WHERE reminder_name = 'tick'"));
            Assert.Equal((int)SiloStatus.Active, await connection.ExecuteScalarAsync<int>("SELECT status FROM orleans_membership WHERE cluster_id = 'it'"));
            await first.StopAsync();
            Assert.Equal((int)SiloStatus.Dead, await connection.ExecuteScalarAsync<int>("SELECT status FROM orleans_membership WHERE cluster_id = 'it'"));
        }

        using var second = await StartSiloAsync(connectionString);
        var again = second.Services.GetRequiredService<IGrainFactory>().GetGrain<IProbeGrain>("p1");
        Assert.Equal(3, await again.Increment()); // the state written by the first silo was read back
        await second.StopAsync();
    }

    private static async Task<IHost> StartSiloAsync(string connectionString)
    {
        var host = new HostBuilder()
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Dsdr"] = connectionString }))
            .UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o => { o.ClusterId = "it"; o.ServiceId = "dsdr-it"; });
                silo.ConfigureEndpoints(IPAddress.Loopback, FreePort(), FreePort());
                silo.AddDsdrPostgres();
            })
            .Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return host;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
