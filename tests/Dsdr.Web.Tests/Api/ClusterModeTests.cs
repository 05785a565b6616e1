using System.Net;
using Dsdr.Silo;
using Dsdr.Web.Hosting;
using Dsdr.Web.Services;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>
/// Cluster mode: a Dsdr.Silo worker (its own host, simulated runner) and the web host as an Orleans client that finds
/// it through the PostgreSQL membership table; no silo in the web host.
/// </summary>
[Collection(WebApiCollection.Name)]
public sealed class ClusterModeTests(WebApiFixture web)
{
    [Fact]
    public async Task The_web_host_joins_a_worker_through_postgresql_membership_and_runs_a_sweep_there()
    {
        var connectionString = await web.NewDatabaseAsync();
        var errors = new StringWriter();
        var worker = DsdrSiloHost.Create(
            ["--cluster", "--cluster-id", "web-test", "--service-id", "web-test", "--node", "worker-1", "--devices", "cpu:1", "--simulated",
             "--silo-port", WebApiFixture.FreePort().ToString(), "--gateway-port", WebApiFixture.FreePort().ToString(),
             "--http-port", WebApiFixture.FreePort().ToString(), "--checkpoints", Path.Combine(web.Scratch, "cluster-checkpoints")],
            errors, new Dictionary<string, string?> { ["ConnectionStrings:Dsdr"] = connectionString });
        Assert.True(worker is not null, errors.ToString());
        await using var workerHost = worker;
        await worker.StartAsync();
        try
        {
            await using var server = await DsdrWebApp.StartAsync(new DsdrWebOptions
            {
                Mode = WebMode.Cluster,
                ClusterId = "web-test",
                ServiceId = "web-test",
                ConnectionString = connectionString,
                ApiKey = WebApiFixture.ApiKey,
                Simulated = true, // the worker runs the simulated runner: trial configs carry its plan
                SimulatedStepMilliseconds = 2,
                Urls = "http://127.0.0.1:0",
            });
            using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
            client.DefaultRequestHeaders.Add("X-Api-Key", WebApiFixture.ApiKey);

            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/sweeps", Json(Spec("on-the-cluster", steps: 4, arms: "\"grpo\"", seeds: "0, 1")))).StatusCode);
            var done = await WaitForSweepAsync(client, "on-the-cluster", s => s.Sweep.Status == "completed", "the sweep to complete on the worker");
            Assert.All(done.Trials, t => Assert.Equal(("completed", 4), (t.Status, t.Step)));

            var pool = await (await client.GetAsync("/api/pool")).ReadAsync<PoolView>();
            Assert.Equal(["worker-1/cpu:0"], pool.Slots.Select(s => s.SlotKey));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        }
        finally
        {
            await worker.StopAsync();
        }
    }
}
