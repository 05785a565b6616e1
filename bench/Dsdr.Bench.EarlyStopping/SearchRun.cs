using System.Diagnostics;
using Dapper;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Grains;
using Dsdr.Runner.Simulation;
using Dsdr.Silo;
using Dsdr.Silo.Postgres;
using Dsdr.Storage;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace Dsdr.Bench.EarlyStopping;

/// <summary>What one run of the search did: trial outcomes as the sweep grain and as PostgreSQL count them, steps run, wall time.</summary>
public sealed record SearchFigures(string Name, bool Finished, int Completed, int Stopped, int Failed, long TrialSteps, TimeSpan Wall,
    int StoredCompleted, int StoredStopped);

/// <summary>One run of the search on a fresh cluster whose silos keep everything in one PostgreSQL database.</summary>
public static class SearchRun
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    public static async Task<SearchFigures> RunAsync(string name, string connectionString, SearchWorkload search, EarlyStoppingSpec? rules,
        BenchOptions o, string checkpoints)
    {
        var log = new SimulationLog();
        var runner = new SimulatedTrialRunner(checkpoints, log);
        var database = new DsdrDatabaseOptions { ConnectionString = connectionString };
        var perSilo = o.Slots / o.Silos;
        var builder = new InProcessTestClusterBuilder((short)o.Silos);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.ServiceId = $"bench-stopping-{Guid.NewGuid():N}";
        var names = new Dictionary<string, int>();
        builder.ConfigureSilo((siloOptions, silo) =>
        {
            int index;
            lock (names)
                if (!names.TryGetValue(siloOptions.SiloName, out index)) names[siloOptions.SiloName] = index = names.Count;
            silo.UseDsdrPostgresPersistence(database);
            silo.Configure<ReminderOptions>(r => r.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.AddDsdrGrains(new DsdrNodeOptions
            {
                Node = $"node-{index}",
                Devices = [.. Enumerable.Range(0, perSilo).Select(d => new DeviceSlot(DeviceKind.Cpu, d, 16))],
            }, s => s.LeaseScanInterval = TimeSpan.FromMilliseconds(200));
            silo.UseTrialRunner(runner);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var scheduler = cluster.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await scheduler.GetPoolAsync()).Slots.Count(s => s.State == SlotState.Idle) < o.Slots)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"Slots did not all come online within 60 s ({name}).");
                await Task.Delay(50);
            }

            var sweep = cluster.Client.GetGrain<ISweepGrain>(search.SweepId);
            var clock = Stopwatch.StartNew();
            await sweep.SubmitAsync(new SweepSubmission(search.SweepId, search.SweepId, [.. search.Trials], MaxAttempts: 1, EarlyStopping: rules));
            var progress = await sweep.GetProgressAsync();
            while (!progress.Status.IsFinished() && clock.Elapsed < Limit)
            {
                await Task.Delay(100);
                progress = await sweep.GetProgressAsync();
            }
            var wall = clock.Elapsed;
            var (storedCompleted, storedStopped) = await StoredOutcomesAsync(connectionString, search.SweepId);
            return new SearchFigures(name, progress.Status.IsFinished(), progress.Completed, progress.Stopped, progress.Failed,
                log.StepsRun.Values.Sum(n => (long)n), wall, storedCompleted, storedStopped);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    // the mirror catches up with the last trials a moment after the sweep grain knows: wait until it counts them all
    private static async Task<(int Completed, int Stopped)> StoredOutcomesAsync(string connectionString, string sweepId)
    {
        await using var database = DsdrDatabase.FromConnectionString(connectionString, migrate: false);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var connection = await database.OpenConnectionAsync();
            var counts = (await connection.QueryAsync<(string Status, long Count)>(
                "SELECT status, count(*) FROM trials WHERE sweep_id = @sweepId GROUP BY status", new { sweepId })).ToDictionary(r => r.Status, r => (int)r.Count);
            var open = counts.GetValueOrDefault("queued") + counts.GetValueOrDefault("running");
            if (open == 0 || DateTime.UtcNow > deadline) return (counts.GetValueOrDefault("completed"), counts.GetValueOrDefault("stopped"));
            await Task.Delay(200);
        }
    }
}
