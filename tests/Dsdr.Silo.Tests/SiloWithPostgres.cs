using System.Collections.Immutable;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Runner.Simulation;
using Dsdr.Storage;
using Dsdr.Storage.Embedded;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dsdr.Silo.Tests;

/// <summary>
/// A private embedded PostgreSQL and the worker host (DsdrSiloHost, simulated runner, one CPU slot) on it, started
/// once for the test class, with one simulated trial run to completion.
/// </summary>
public sealed class SiloWithPostgres : IAsyncLifetime
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    public const string SweepId = "ops-sweep";
    public const int TrialSteps = 6;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"dsdr-silo-tests-{Guid.NewGuid():N}");

    public EmbeddedPostgres Postgres { get; private set; } = null!;
    public WebApplication Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";
    public int GatewayPort { get; private set; }
    public string Log => _log.ToString();

    private readonly StringWriter _log = new();

    public async Task InitializeAsync()
    {
        Postgres = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(_folder, "pg"), Database = "dsdr_silo_tests", Ephemeral = true,
        });
        // Short connect timeout: the readiness probe must fail fast once the server is stopped.
        ConnectionString = new NpgsqlConnectionStringBuilder(Postgres.ConnectionString) { Timeout = 3 }.ConnectionString;
        var httpPort = Ports.Free();
        GatewayPort = Ports.Free();
        Host = DsdrSiloHost.Create(
            ["--simulated", "--node", "ops", "--devices", "cpu:1", "--cpu-memory-gib", "2",
             "--silo-port", Ports.Free().ToString(), "--gateway-port", GatewayPort.ToString(),
             "--http-port", httpPort.ToString(), "--checkpoints", Path.Combine(_folder, "checkpoints")],
            _log,
            new Dictionary<string, string?> { ["ConnectionStrings:Dsdr"] = ConnectionString })
            ?? throw new InvalidOperationException("DsdrSiloHost refused the arguments: " + _log);
        await Host.StartAsync().WaitAsync(Timeout);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(20) };

        var grains = Host.Services.GetRequiredService<IGrainFactory>();
        var trial = new TrialDescriptor("ops-trial-1", SweepId, "sim", "row", 1,
            new SimulationPlan(TrialSteps, 20, 3, []).ToConfigJson(), new TrialNeeds(DeviceKind.Cpu, 1));
        await grains.GetGrain<ISweepGrain>(SweepId).SubmitAsync(new SweepSubmission(SweepId, "ops", ImmutableArray.Create(trial)));
        var deadline = DateTime.UtcNow + Timeout;
        while ((await grains.GetGrain<ISweepGrain>(SweepId).GetProgressAsync()).Status != SweepStatus.Completed)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the simulated trial did not complete within " + Timeout);
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Host is not null)
        {
            await Host.StopAsync().WaitAsync(Timeout);
            await Host.DisposeAsync();
        }
        NpgsqlConnection.ClearAllPools();
        if (Postgres is not null) await Postgres.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
