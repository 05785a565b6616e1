using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Grains;
using Dsdr.Runner.Simulation;
using Dsdr.Silo;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace Dsdr.Bench.Scheduler;

/// <summary>The platform itself: a cluster of silos, each node with its share of the slots, running the workload's sweeps.</summary>
public static class OrleansRun
{
    public static async Task<RunFigures> RunAsync(BenchOptions o, Workload workload, string checkpoints)
    {
        var log = new SimulationLog();
        var runner = new SimulatedTrialRunner(Path.Combine(checkpoints, "orleans"), log);
        var perSilo = o.Slots / o.Silos;
        var builder = new InProcessTestClusterBuilder((short)o.Silos);
        var names = new Dictionary<string, int>();
        builder.ConfigureSilo((siloOptions, silo) =>
        {
            int index;
            lock (names)
                if (!names.TryGetValue(siloOptions.SiloName, out index)) names[siloOptions.SiloName] = index = names.Count;
            // Orleans' memory storage stands in for PostgreSQL; its default of 10 storage grains would
            // serialise every write of 500 trials through 10 queues, where the database has a pool.
            silo.AddMemoryGrainStorage(DsdrSchedulingOptions.StorageProviderName, m => m.NumStorageGrains = 64);
            silo.UseInMemoryReminderService();
            silo.AddDsdrGrains(new DsdrNodeOptions
            {
                Node = $"node-{index}",
                Devices = [.. Enumerable.Range(0, perSilo).Select(d => new DeviceSlot(DeviceKind.Cuda, d, 40))],
            }, s =>
            {
                s.SlotHeartbeatInterval = o.SlotHeartbeatInterval;
                s.LeaseTimeout = o.LeaseTimeout;
                s.RunnerStallTimeout = o.RunnerStallTimeout;
                s.LeaseScanInterval = TimeSpan.FromMilliseconds(100);
            });
            silo.UseTrialRunner(runner);
        });
        if (Environment.GetEnvironmentVariable("DSDR_BENCH_LOG") is { Length: > 0 } logPath)
            builder.ConfigureSiloHost((_, host) => host.Logging.AddProvider(new FileLoggerProvider(logPath)));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var scheduler = cluster.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await scheduler.GetPoolAsync()).Slots.Count(s => s.State == SlotState.Idle) < o.Slots)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("Slots did not all come online within 60 s.");
                await Task.Delay(50);
            }

            var warmUp = Workload.WarmUp(o).Trials;
            await cluster.Client.GetGrain<ISweepGrain>("warmup").SubmitAsync(new SweepSubmission("warmup", "warm-up", [.. warmUp], o.MaxAttempts));
            while ((await cluster.Client.GetGrain<ISweepGrain>("warmup").GetProgressAsync()).Status == SweepStatus.Running)
                await Task.Delay(50);
            log.Clear();

            var submittedAt = DateTimeOffset.UtcNow;
            var sweeps = workload.Trials.GroupBy(t => t.SweepId).ToList();
            await Task.WhenAll(sweeps.Select(g => cluster.Client.GetGrain<ISweepGrain>(g.Key)
                .SubmitAsync(new SweepSubmission(g.Key, g.Key, [.. g], o.MaxAttempts))));
            var submissionReturnedAt = DateTimeOffset.UtcNow;
            var completed = 0;
            while (true)
            {
                var progress = await Task.WhenAll(sweeps.Select(g => cluster.Client.GetGrain<ISweepGrain>(g.Key).GetProgressAsync()));
                if (progress.All(p => p.Status != SweepStatus.Running))
                {
                    completed = progress.Sum(p => p.Completed);
                    break;
                }
                await Task.Delay(100);
            }
            // A hung runner may still be stuck after the last trial finished: wait until every slot is idle again.
            var settle = DateTime.UtcNow.AddSeconds(30);
            while ((await scheduler.GetPoolAsync()).Slots.Any(s => s.State != SlotState.Idle) && DateTime.UtcNow < settle)
                await Task.Delay(50);
            if (Environment.GetEnvironmentVariable("DSDR_BENCH_DUMP") == "1")
                foreach (var a in log.Attempts.OrderByDescending(a => a.StartedAt - a.ReadyAt).Take(15))
                    Console.WriteLine($"  {a.TrialId} #{a.Attempt} {a.SlotKey} queued +{(a.QueuedAt - submittedAt).TotalMilliseconds:F0} ready +{(a.ReadyAt - submittedAt).TotalMilliseconds:F0} started +{(a.StartedAt - submittedAt).TotalMilliseconds:F0} latency {(a.StartedAt - a.ReadyAt).TotalMilliseconds:F1} ms");
            return RunFigures.From($"Orleans scheduler ({o.Silos} silos)", log.Attempts, o.Slots, completed, submittedAt, submissionReturnedAt);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
