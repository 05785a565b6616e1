using System.Net;
using System.Net.Sockets;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Runner.Simulation;
using Dsdr.Silo;
using Dsdr.Silo.Postgres;
using Dsdr.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

/// <summary>
/// Cluster mode as Dsdr.Silo runs it: real hosts built with AddDsdrSilo and the PostgreSQL hooks, joining one
/// cluster through the membership table, with a client that finds them through the same table.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterModeTests(PostgresServer postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Two_nodes_join_through_postgres_membership_and_share_a_sweep_with_each_slot_on_its_node()
    {
        var database = new DsdrDatabaseOptions { ConnectionString = await postgres.NewDatabaseAsync() };
        var checkpoints = Path.Combine(Path.GetTempPath(), "dsdr-grains-tests", Guid.NewGuid().ToString("N"));
        var log = new SimulationLog();
        var hosts = new List<IHost>();
        IHost? client = null;
        try
        {
            foreach (var node in new[] { "node-a", "node-b" })
            {
                var options = new DsdrSiloOptions
                {
                    Mode = SiloMode.Cluster, Node = node, Devices = [Cpu(0)], ClusterId = "cm", ServiceId = "cm-service",
                    SiloPort = FreePort(), GatewayPort = FreePort(), CheckpointDirectory = checkpoints,
                };
                var hooks = new DsdrSiloHooks
                {
                    Runner = silo => silo.UseTrialRunner(new SimulatedTrialRunner(checkpoints, log)),
                    Scheduling = o =>
                    {
                        o.SlotHeartbeatInterval = TimeSpan.FromMilliseconds(100);
                        o.LeaseTimeout = TimeSpan.FromSeconds(3);
                        o.LeaseScanInterval = TimeSpan.FromMilliseconds(100);
                        o.TrialWatchInterval = TimeSpan.FromSeconds(1);
                    },
                }.OnPostgres(SiloMode.Cluster, database);
                var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
                builder.AddDsdrSilo(options, hooks);
                var host = builder.Build();
                hosts.Add(host);
                await host.StartAsync().WaitAsync(Timeout);
            }

            var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            clientBuilder.UseOrleansClient(c =>
            {
                c.Configure<ClusterOptions>(o => { o.ClusterId = "cm"; o.ServiceId = "cm-service"; });
                c.Services.AddDsdrStorage(database);
                c.UseDsdrClustering();
            });
            client = clientBuilder.Build();
            await client.StartAsync().WaitAsync(Timeout);
            var grains = client.Services.GetRequiredService<IClusterClient>();

            Assert.Equal(2, await Db.ScalarAsync<long>(database.ConnectionString!,
                "SELECT count(*) FROM orleans_membership WHERE cluster_id = 'cm' AND status = @active", new { active = (int)SiloStatus.Active }));
            foreach (var node in new[] { "node-a", "node-b" })
            {
                var slot = await WaitForAsync(() => grains.GetGrain<ILearnerSlotGrain>($"{node}/cpu:0").GetAsync(), s => s.Online, Timeout, $"{node}'s slot online");
                Assert.Equal(node, slot.SiloNode);
            }

            var trials = Enumerable.Range(0, 4).Select(i => Trial("cm", $"cm-{i}", Plan(steps: 8, stepMs: 25, checkpointEvery: 4))).ToList();
            await grains.GetGrain<ISweepGrain>("cm").SubmitAsync(new SweepSubmission("cm", "cluster mode", [.. trials]));
            var done = await WaitForAsync(() => grains.GetGrain<ISweepGrain>("cm").GetProgressAsync(),
                p => p.Status == SweepStatus.Completed, Timeout, "the sweep to complete");
            Assert.Equal(4, done.Completed);
            Assert.Equal(["node-a/cpu:0", "node-b/cpu:0"], log.Attempts.Select(a => a.SlotKey).Distinct().Order());
            Assert.Equal(trials.Sum(t => ExpectedMetrics(t.TrialId, Plan(8, 25)).Count),
                await Db.ScalarAsync<long>(database.ConnectionString!, "SELECT count(*) FROM metrics WHERE trial_id LIKE 'cm-%'"));
            Assert.Equal(4 * 8, await Db.ScalarAsync<long>(database.ConnectionString!, "SELECT count(*) FROM rollout_groups WHERE trial_id LIKE 'cm-%'"));
            Assert.Equal(2, await Db.ScalarAsync<long>(database.ConnectionString!, "SELECT count(*) FROM slots WHERE status <> 'offline'"));
            Assert.Equal("completed", await Db.ScalarAsync<string>(database.ConnectionString!, "SELECT status FROM sweeps WHERE sweep_id = 'cm'"));
        }
        finally
        {
            if (client is not null)
            {
                await client.StopAsync();
                client.Dispose();
            }
            foreach (var host in Enumerable.Reverse(hosts))
            {
                try { await host.StopAsync().WaitAsync(Timeout); } catch (Exception) { /* the assertion above is what matters */ }
                host.Dispose();
            }
            try { Directory.Delete(checkpoints, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
