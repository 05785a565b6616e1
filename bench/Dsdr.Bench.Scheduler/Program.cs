using System.Globalization;
using Dsdr.Bench.Scheduler;

// Scheduler simulation: the Orleans platform against a naive loop scheduler, same workload.
BenchOptions options;
try { options = BenchOptions.Parse(args); }
catch (ArgumentException ex) { Console.Error.WriteLine(ex.Message); return 2; }

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
// On 2 cores the thread pool starts with 2 workers and grows slowly; a burst of 64 attempts
// starting at once (four silos, 64 runners writing checkpoint files) then queues behind that growth.
ThreadPool.SetMinThreads(options.MinThreads, options.MinThreads);
var workload = Workload.Generate(options);
var mean = workload.Trials.Average(t => Dsdr.Runner.Simulation.SimulationPlan.FromConfigJson(t.ConfigJson).Steps) * options.StepMilliseconds / 1000.0;
Console.WriteLine($"Workload: {options.Trials} trials in {options.Sweeps} sweeps on {options.Slots} slots; trial length {options.MinSteps * options.StepMilliseconds / 1000.0:F1}–{options.MaxSteps * options.StepMilliseconds / 1000.0:F1} s (mean {mean:F2} s); " +
                  $"slot failures on first attempts: {workload.Crashes} device crashes, {workload.Hangs} device hangs of {options.HangMilliseconds} ms (lease {options.LeaseTimeout.TotalMilliseconds} ms after {options.RunnerStallTimeout.TotalMilliseconds} ms of silence); seed {options.Seed}; {Environment.ProcessorCount} cores, thread-pool minimum {options.MinThreads}.");

var checkpoints = Path.Combine(Path.GetTempPath(), "dsdr-bench-scheduler", Guid.NewGuid().ToString("N"));
try
{
    var naive = Environment.GetEnvironmentVariable("DSDR_BENCH_SKIP_NAIVE") == "1" ? null : await NaiveLoopRun.RunAsync(options, workload, checkpoints);
    var orleans = await OrleansRun.RunAsync(options, workload, checkpoints);
    naive ??= orleans;

    Console.WriteLine();
    Console.WriteLine($"{"run",-30} {"done",5} {"attempts",8} {"makespan s",10} {"util %",7} {"makespan util %",15} {"p50 ms",7} {"p99 ms",7} {"max ms",7} {"steady p50",10} {"steady p99",10}");
    foreach (var r in new[] { orleans, naive })
        Console.WriteLine($"{r.Name,-30} {r.Completed,5} {r.Attempts,8} {r.Makespan.TotalSeconds,10:F2} {100 * r.Utilisation,7:F2} {100 * r.MakespanUtilisation,15:F2} {r.LatencyP50Ms,7:F2} {r.LatencyP99Ms,7:F2} {r.LatencyMaxMs,7:F2} {r.SteadyP50Ms,10:F2} {r.SteadyP99Ms,10:F2}");
    Console.WriteLine();
    Console.WriteLine($"ratio Orleans / naive loop: utilisation {orleans.Utilisation / naive.Utilisation:F3}, makespan {orleans.Makespan / naive.Makespan:F3}, " +
                      $"p50 latency {orleans.LatencyP50Ms / naive.LatencyP50Ms:F2}, p99 latency {orleans.LatencyP99Ms / naive.LatencyP99Ms:F2}");
    var met = orleans.Utilisation >= 0.95 && orleans.LatencyP99Ms < 100;
    Console.WriteLine($"targets (utilisation ≥ 95 %, p99 < 100 ms): {(met ? "met" : "NOT met")} by the Orleans scheduler");
    return met && orleans.Completed == options.Trials ? 0 : 1;
}
finally
{
    try { Directory.Delete(checkpoints, recursive: true); } catch (DirectoryNotFoundException) { }
}
