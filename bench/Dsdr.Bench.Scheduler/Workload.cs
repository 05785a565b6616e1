using Dsdr.Contracts;
using Dsdr.Core.Sweeps;
using Dsdr.Runner.Simulation;

namespace Dsdr.Bench.Scheduler;

/// <summary>The benchmark's trials: random durations, and random slot failures on first attempts.</summary>
public sealed record Workload(IReadOnlyList<TrialDescriptor> Trials, int Crashes, int Hangs)
{
    /// <summary>A short sweep per slot that runs every code path once (JIT, first activations, connections) before measuring.</summary>
    public static Workload WarmUp(BenchOptions o)
    {
        var plan = new SimulationPlan(3, 10, 2, [], EvalEvery: 0, RolloutGroupsPerStep: 0);
        var trials = Enumerable.Range(0, o.Slots * 2).Select(i => new TrialDescriptor($"warmup-t{i:D4}", "warmup", "sim", "warm-up", i,
            plan.ToConfigJson(), new TrialNeeds(DeviceKind.Cuda, 8))).ToList();
        return new Workload(trials, 0, 0);
    }

    public static Workload Generate(BenchOptions o)
    {
        var random = new Random(o.Seed);
        var trials = new List<TrialDescriptor>();
        int crashes = 0, hangs = 0;
        for (var i = 0; i < o.Trials; i++)
        {
            var steps = random.Next(o.MinSteps, o.MaxSteps + 1);
            var faults = new List<SimulatedFault>();
            var roll = random.NextDouble();
            if (roll < o.CrashProbability)
            {
                faults.Add(new SimulatedFault(1, random.Next(2, steps + 1), SimulatedFaultKind.Crash));
                crashes++;
            }
            else if (roll < o.CrashProbability + o.HangProbability)
            {
                faults.Add(new SimulatedFault(1, random.Next(2, steps + 1), SimulatedFaultKind.Hang, o.HangMilliseconds));
                hangs++;
            }
            var plan = new SimulationPlan(steps, o.StepMilliseconds, o.CheckpointEvery, faults, EvalEvery: 0, RolloutGroupsPerStep: 0);
            var sweep = $"bench-s{i % o.Sweeps}";
            trials.Add(new TrialDescriptor($"{sweep}-t{i:D4}", sweep, "sim", $"trial {i}", i, plan.ToConfigJson(),
                new TrialNeeds(DeviceKind.Cuda, 8 + random.Next(0, 4) * 8)));
        }
        return new Workload(trials, crashes, hangs);
    }
}

public sealed record BenchOptions
{
    public int Slots { get; init; } = 64;
    public int Trials { get; init; } = 500;
    public int Sweeps { get; init; } = 4;
    public int Silos { get; init; } = 4;
    public int Seed { get; init; } = 7;
    public int MinSteps { get; init; } = 20;
    public int MaxSteps { get; init; } = 60;
    public int StepMilliseconds { get; init; } = 50;
    public int CheckpointEvery { get; init; } = 10;
    public double CrashProbability { get; init; } = 0.06;
    public double HangProbability { get; init; } = 0.06;
    public int HangMilliseconds { get; init; } = 2500;
    public int MaxAttempts { get; init; } = 3;
    public int NaivePollMilliseconds { get; init; } = 10;
    public int MinThreads { get; init; } = 32;
    public TimeSpan SlotHeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan LeaseTimeout { get; init; } = TimeSpan.FromMilliseconds(1000);
    public TimeSpan RunnerStallTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            int Int() => i + 1 < args.Length && int.TryParse(args[++i], out var v) && v > 0
                ? v : throw new ArgumentException($"{args[i - 1]} needs a positive integer.");
            o = args[i] switch
            {
                "--slots" => o with { Slots = Int() },
                "--trials" => o with { Trials = Int() },
                "--sweeps" => o with { Sweeps = Int() },
                "--silos" => o with { Silos = Int() },
                "--seed" => o with { Seed = Int() },
                "--step-ms" => o with { StepMilliseconds = Int() },
                "--naive-poll-ms" => o with { NaivePollMilliseconds = Int() },
                "--min-threads" => o with { MinThreads = Int() },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Options: --slots --trials --sweeps --silos --seed --step-ms --naive-poll-ms --min-threads"),
            };
        }
        if (o.Slots % o.Silos != 0) throw new ArgumentException($"--slots ({o.Slots}) must be a multiple of --silos ({o.Silos}).");
        return o;
    }
}
