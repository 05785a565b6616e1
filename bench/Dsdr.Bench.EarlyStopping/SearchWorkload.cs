using System.Text.Json.Nodes;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;

namespace Dsdr.Bench.EarlyStopping;

/// <summary>The benchmark's sweep: a random search expanded by Core, each trial carrying its simulation plan.</summary>
public sealed record SearchWorkload(string SweepId, IReadOnlyList<TrialDescriptor> Trials, EarlyStoppingSpec Rules)
{
    public static SearchWorkload Expand(BenchOptions o)
    {
        var spec = $$"""
            {
              "name": "asha-search",
              "task": {"kind": "countdown", "numbers": 3},
              "model": {"preset": "countdown"},
              "base": {"totalSteps": {{o.Steps}}},
              "arms": ["dsdr"],
              "seeds": [0],
              "search": {"method": "random", "trials": {{o.Trials}}, "seed": {{o.Seed}},
                         "space": {"learningRate": {"min": 1e-5, "max": 1e-2, "scale": "log"}, "lambdaD": {"min": 1e-3, "max": 1, "scale": "log"} } },
              "earlyStopping": {"asha": {"metric": "reward/mean", "rungs": [{{string.Join(", ", o.Rungs)}}], "reductionFactor": {{o.ReductionFactor}} } },
              "eval": {"everySteps": {{o.Steps}}, "atStart": false},
              "maxTrials": {{Math.Max(1000, o.Trials)}}
            }
            """;
        var parsed = SweepSpecParser.Parse(spec);
        if (!parsed.IsValid) throw new ArgumentException($"The benchmark's search spec is invalid: {string.Join("; ", parsed.Errors)}");
        var trials = SweepExpander.Expand(parsed.Spec!);
        var sweepId = parsed.Spec!.Name;
        return new SearchWorkload(sweepId, [.. trials.Select(t => Descriptor(t, sweepId, o))], parsed.Spec.EarlyStopping!);
    }

    // the trial's own config with the simulated runner's plan beside it (as the web's --simulated mode writes it)
    private static TrialDescriptor Descriptor(TrialSpec trial, string sweepId, BenchOptions o)
    {
        var config = JsonNode.Parse(trial.ToJson())!.AsObject();
        config["simulation"] = new JsonObject
        {
            ["steps"] = trial.Config.TotalSteps, ["stepMilliseconds"] = o.StepMilliseconds, ["checkpointEvery"] = 0,
            ["evalEvery"] = 0, ["rolloutGroupsPerStep"] = 0,
        };
        return new TrialDescriptor(trial.TrialId, sweepId, trial.Arm, trial.Row, trial.Seed, config.ToJsonString(), new TrialNeeds(DeviceKind.Cpu, 1));
    }
}

public sealed record BenchOptions
{
    public int Trials { get; init; } = 1000;
    public int Steps { get; init; } = 27;
    public IReadOnlyList<int> Rungs { get; init; } = [3, 9];
    public int ReductionFactor { get; init; } = 3;
    public int Slots { get; init; } = 32;
    public int Silos { get; init; } = 2;
    public int StepMilliseconds { get; init; } = 5;
    public int Seed { get; init; } = 11;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int()
            {
                var name = args[i];
                return int.TryParse(Value(), out var v) && v > 0 ? v : throw new ArgumentException($"{name} needs a positive integer.");
            }
            o = args[i] switch
            {
                "--trials" => o with { Trials = Int() },
                "--steps" => o with { Steps = Int() },
                "--rungs" => o with { Rungs = [.. Value().Split(',').Select(r => int.TryParse(r, out var v) && v > 0 ? v : throw new ArgumentException($"--rungs takes positive steps separated by commas, e.g. 3,9; got '{r}'."))] },
                "--eta" => o with { ReductionFactor = Int() },
                "--slots" => o with { Slots = Int() },
                "--silos" => o with { Silos = Int() },
                "--step-ms" => o with { StepMilliseconds = Int() },
                "--seed" => o with { Seed = Int() },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Options: --trials --steps --rungs --eta --slots --silos --step-ms --seed"),
            };
        }
        if (o.Slots % o.Silos != 0) throw new ArgumentException($"--slots ({o.Slots}) must be a multiple of --silos ({o.Silos}).");
        return o;
    }
}
