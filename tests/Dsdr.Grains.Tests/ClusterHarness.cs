using System.Collections.Immutable;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Running;
using Dsdr.Runner.Simulation;
using Dsdr.Silo;
using Dsdr.Silo.Postgres;
using Dsdr.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Dsdr.Grains.Tests;

/// <summary>
/// An in-process cluster of Dsdr silos, one node per silo, running simulated trials. Without a database, state
/// lives in a <see cref="SharedStore"/> and metrics in one <see cref="InMemoryTrialMetricSink"/>; with one
/// (<see cref="StartOnPostgresAsync"/>), every silo keeps grain state, reminders, metrics and the
/// sweeps/trials mirror in that PostgreSQL database, as a real deployment does.
/// </summary>
public sealed class ClusterHarness : IAsyncDisposable
{
    public InProcessTestCluster Cluster { get; }
    public SimulationLog Log { get; }
    public SharedStore Store { get; } = new();
    public InMemoryTrialMetricSink Metrics { get; } = new();
    public string CheckpointDirectory { get; }
    public IClusterClient Client => Cluster.Client;

    /// <summary>The database's connection string; null for the in-memory harness.</summary>
    public string? ConnectionString { get; }

    /// <summary>Node name → silo name, as the silos started.</summary>
    public Dictionary<string, string> NodeOfSilo { get; } = new();

    private ClusterHarness(IReadOnlyList<DsdrNodeOptions> nodes, Action<DsdrSchedulingOptions> scheduling, PostgresSetup? postgres,
        ITrialMetricSink? metricSink, Action<ISiloBuilder>? configureSilo)
    {
        ConnectionString = postgres?.ConnectionString;
        Log = postgres?.Log ?? new SimulationLog();
        CheckpointDirectory = postgres?.CheckpointDirectory ?? Path.Combine(Path.GetTempPath(), "dsdr-grains-tests", Guid.NewGuid().ToString("N"));
        var builder = new InProcessTestClusterBuilder((short)nodes.Count);
        builder.Options.ConfigureFileLogging = false; // no ./logs folder
        var database = postgres is null ? null : new DsdrDatabaseOptions { ConnectionString = postgres.ConnectionString };
        if (postgres is not null)
        {
            builder.Options.ServiceId = postgres.ServiceId; // the same service finds its state again after a restart
        }
        var runner = new SimulatedTrialRunner(CheckpointDirectory, Log);
        var store = Store;
        ITrialMetricSink metrics = metricSink ?? Metrics;
        var index = 0;
        var byName = new Dictionary<string, DsdrNodeOptions>();
        builder.ConfigureSilo((siloOptions, silo) =>
        {
            DsdrNodeOptions node;
            lock (byName)
            {
                if (!byName.TryGetValue(siloOptions.SiloName, out node!))
                {
                    node = index < nodes.Count ? nodes[index] : new DsdrNodeOptions { Node = $"extra-{index}" };
                    index++;
                    byName[siloOptions.SiloName] = node;
                    NodeOfSilo[node.Node] = siloOptions.SiloName;
                }
            }
            if (database is null)
            {
                silo.Services.AddKeyedSingleton<IGrainStorage>(DsdrSchedulingOptions.StorageProviderName,
                    (sp, _) => new SharedGrainStorage(store, sp.GetRequiredService<Serializer>()));
                silo.UseInMemoryReminderService();
                silo.Services.AddSingleton<ITrialMetricSink>(metrics);
            }
            else
            {
                // Membership stays InProcessTestCluster's own (it cannot be swapped); PostgreSQL membership is tested with real hosts.
                silo.UseDsdrPostgresPersistence(database);
                silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            }
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
            });
            silo.AddDsdrGrains(node, scheduling);
            silo.UseTrialRunner(runner);
            configureSilo?.Invoke(silo);
        });
        if (Environment.GetEnvironmentVariable("DSDR_TEST_LOG") is { Length: > 0 } logPath)
            builder.ConfigureSiloHost((_, host) => host.Logging.AddProvider(new FileLoggerProvider(logPath)));
        Cluster = builder.Build();
    }

    /// <summary>An in-memory cluster; <paramref name="metricSink"/> replaces <see cref="Metrics"/> as every silo's sink when given.</summary>
    public static Task<ClusterHarness> StartAsync(IReadOnlyList<DsdrNodeOptions> nodes, Action<DsdrSchedulingOptions>? scheduling = null,
        ITrialMetricSink? metricSink = null) =>
        StartAsync(nodes, scheduling, postgres: null, metricSink, configureSilo: null);

    /// <summary>
    /// A cluster on <paramref name="postgres"/>'s database; the same setup again is the same service restarted.
    /// <paramref name="configureSilo"/> runs last on every silo (e.g. another default placement).
    /// </summary>
    public static Task<ClusterHarness> StartOnPostgresAsync(PostgresSetup postgres, IReadOnlyList<DsdrNodeOptions> nodes,
        Action<DsdrSchedulingOptions>? scheduling = null, Action<ISiloBuilder>? configureSilo = null) =>
        StartAsync(nodes, scheduling, postgres, metricSink: null, configureSilo);

    private static async Task<ClusterHarness> StartAsync(IReadOnlyList<DsdrNodeOptions> nodes, Action<DsdrSchedulingOptions>? scheduling,
        PostgresSetup? postgres, ITrialMetricSink? metricSink, Action<ISiloBuilder>? configureSilo)
    {
        var harness = new ClusterHarness(nodes, o =>
        {
            o.SlotHeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.LeaseTimeout = TimeSpan.FromSeconds(3); // generous: a loaded CI machine must not lose healthy leases
            o.LeaseScanInterval = TimeSpan.FromMilliseconds(100);
            o.NodeLookupTimeout = TimeSpan.FromSeconds(5);
            o.TrialWatchInterval = TimeSpan.FromSeconds(1);
            scheduling?.Invoke(o);
        }, postgres, metricSink, configureSilo);
        await harness.Cluster.DeployAsync();
        return harness;
    }

    public static DsdrNodeOptions Node(string name, params DeviceSlot[] devices) => new() { Node = name, Devices = [.. devices] };

    public static DeviceSlot Cpu(int index, double memoryGiB = 16) => new(DeviceKind.Cpu, index, memoryGiB);

    public InProcessSiloHandle SiloOf(string node) => Cluster.Silos.Single(s => s.Name == NodeOfSilo[node]);

    public static TrialDescriptor Trial(string sweepId, string trialId, SimulationPlan plan, double memoryGiB = 4, int priority = 0) =>
        new(trialId, sweepId, "sim", $"row-{trialId}", 1, plan.ToConfigJson(), new TrialNeeds(DeviceKind.Cpu, memoryGiB), priority);

    public static SimulationPlan Plan(int steps, int stepMs, int checkpointEvery = 0, params SimulatedFault[] faults) =>
        new(steps, stepMs, checkpointEvery, faults);

    /// <summary>Every (step, name) → value a simulated trial following <paramref name="plan"/> reports over a full run, evaluations at step 0 included.</summary>
    public static IReadOnlyDictionary<(int Step, string Name), double> ExpectedMetrics(string trialId, SimulationPlan plan) =>
        Enumerable.Range(0, plan.Steps + 1)
            .SelectMany(step => (step == 0 ? SimulatedMetrics.EvalAt(trialId, 0, plan).Where(_ => plan.EvaluatesAt(0)).ToDictionary(f => f.Key.MetricName, f => f.Value)
                : SimulatedMetrics.At(trialId, step, plan)).Select(kv => (Key: (step, kv.Key), kv.Value)))
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    public Task<SweepProgress> SubmitAsync(string sweepId, IEnumerable<TrialDescriptor> trials, int maxAttempts = 3) =>
        Client.GetGrain<ISweepGrain>(sweepId).SubmitAsync(new SweepSubmission(sweepId, sweepId, [.. trials], maxAttempts));

    /// <summary>Polls <paramref name="probe"/> until it returns a value <paramref name="done"/> accepts, or fails after <paramref name="timeout"/>.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T value = await probe();
        while (!done(value))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}; last value: {value}");
            await Task.Delay(25);
            value = await probe();
        }
        return value;
    }

    public Task<SweepProgress> WaitForSweepAsync(string sweepId, SweepStatus status, TimeSpan timeout) =>
        WaitForAsync(() => Client.GetGrain<ISweepGrain>(sweepId).GetProgressAsync(), p => p.Status == status, timeout, $"sweep {sweepId} to be {status}");

    public Task<TrialSnapshot> WaitForTrialAsync(string trialId, Func<TrialSnapshot, bool> done, TimeSpan timeout, string what) =>
        WaitForAsync(() => Client.GetGrain<ITrialGrain>(trialId).GetAsync(), done, timeout, what);

    /// <summary>Stops the silos gracefully and releases the cluster, keeping the checkpoint folder (a restart reads it).</summary>
    public async Task ShutDownAsync()
    {
        try { await Cluster.StopAllSilosAsync(); } catch { /* best effort */ }
        await Cluster.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await ShutDownAsync();
        try { Directory.Delete(CheckpointDirectory, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}

/// <summary>
/// What a PostgreSQL-backed cluster runs on: the database, the service id its state is stored under, the shared
/// checkpoint folder and the simulation log. Starting two clusters one after the other on one setup is a restart.
/// </summary>
public sealed record PostgresSetup(string ConnectionString)
{
    public string ServiceId { get; init; } = $"dsdr-test-{Guid.NewGuid():N}";
    public string CheckpointDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "dsdr-grains-tests", Guid.NewGuid().ToString("N"));
    public SimulationLog Log { get; init; } = new();
}
