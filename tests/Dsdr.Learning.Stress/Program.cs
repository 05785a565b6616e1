using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Embedding;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Training;

// The learner stress harness (issue 19): several real trials in this one process, each on its own thread as learner
// slots run them, optionally with a thread that forces garbage collections without pause. A failed attempt is
// recorded and the trial resumes from its newest checkpoint, as the platform would retry it. Writes report.json:
// per trial its attempts, the errors (native ones counted apart) and its metric and evaluation rows without timings.
//
//   dotnet Dsdr.Learning.Stress.dll --out DIR --mode together|alone [--steps N] [--attempts K] [--gc-loop]
//
// Start it with DOTNET_GCgen0size=0x80000 for a 512 KiB gen-0 budget; report.json says how many gen-0 collections a
// 64 MiB allocation took, so a caller can tell that the runtime honoured the setting.

var options = StressOptions.Parse(args);
Directory.CreateDirectory(options.Out);
var calibration = Gen0CollectionsPer64MiB();
var trials = StressTrials.All(options.Steps);
var embedder = MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: 1));
var runner = TrialRunner.WithDefaults(embedder);
var sftCache = Path.Combine(options.Out, "..", "sft-cache");

var clock = Stopwatch.StartNew();
using var collecting = new CancellationTokenSource();
var collector = options.GcLoop ? StartCollector(collecting.Token) : null;
var outcomes = new TrialOutcome[trials.Count];
if (options.Mode == "together")
{
    var threads = trials.Select((trial, i) => new Thread(() => outcomes[i] = RunWithRetries(trial)) { Name = trial.TrialId }).ToList();
    foreach (var thread in threads) thread.Start();
    foreach (var thread in threads) thread.Join();
}
else
{
    for (var i = 0; i < trials.Count; i++)
    {
        var thread = new Thread(() => outcomes[i] = RunWithRetries(trials[i])) { Name = trials[i].TrialId };
        thread.Start();
        thread.Join();
    }
}
collecting.Cancel();
collector?.Join();

var report = new StressReport(options.Mode, options.GcLoop, Environment.GetEnvironmentVariable("DOTNET_GCgen0size"), calibration,
    [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)], clock.Elapsed.TotalSeconds, outcomes);
File.WriteAllText(Path.Combine(options.Out, "report.json"), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"{options.Mode}: {trials.Count} trials, {outcomes.Sum(o => o.StepRows.Count)} steps in {clock.Elapsed.TotalSeconds:0.0} s; " +
    $"{outcomes.Sum(o => o.Errors.Count(e => e.Native))} native errors, {outcomes.Sum(o => o.Errors.Count(e => !e.Native))} other; " +
    $"gen-0 collections {GC.CollectionCount(0)} (calibration {calibration} per 64 MiB)");
return outcomes.All(o => o.Completed && o.Errors.Count == 0) ? 0 : 3;

TrialOutcome RunWithRetries(TrialSpec trial)
{
    var folder = Path.Combine(options.Out, trial.TrialId);
    if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    var rows = new RowSink();
    var errors = new List<StressError>();
    for (var attempt = 1; attempt <= options.Attempts; attempt++)
    {
        try
        {
            runner.Run(trial, new TrialRunOptions(folder, Resume: true, Device: "cpu", Threads: 1, CheckpointEverySteps: 5,
                SftCacheFolder: sftCache, Sinks: [rows]));
            return new TrialOutcome(trial.TrialId, trial.Arm, attempt, true, errors, rows.Steps, rows.Evals);
        }
        catch (Exception e)
        {
            errors.Add(new StressError(attempt, e is ExternalException, e.GetType().Name, e.Message.Split('\n')[0], e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("Dsdr.", StringComparison.Ordinal))?.Trim()));
            Console.Error.WriteLine($"{trial.TrialId} attempt {attempt}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }
    return new TrialOutcome(trial.TrialId, trial.Arm, options.Attempts, false, errors, rows.Steps, rows.Evals);
}

static Thread StartCollector(CancellationToken stop)
{
    var thread = new Thread(() =>
    {
        while (!stop.IsCancellationRequested)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }) { Name = "gc-loop", IsBackground = true };
    thread.Start();
    return thread;
}

// gen-0 collections while allocating 64 MiB in 1 KiB arrays (the default budget takes a few; a 512 KiB one ~128)
static int Gen0CollectionsPer64MiB()
{
    var before = GC.CollectionCount(0);
    var keep = new byte[16][];
    for (var i = 0; i < 64 * 1024; i++) keep[i % keep.Length] = new byte[1024];
    GC.KeepAlive(keep);
    return GC.CollectionCount(0) - before;
}

internal sealed record StressOptions(string Out, string Mode, int Steps, int Attempts, bool GcLoop)
{
    public static StressOptions Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var mode = Value("--mode") ?? "together";
        if (mode is not ("together" or "alone")) throw new ArgumentException($"--mode: expected together or alone, got {mode}.");
        var output = Value("--out") ?? throw new ArgumentException("--out DIR is required.");
        return new StressOptions(Path.GetFullPath(output), mode, int.Parse(Value("--steps") ?? "40"), int.Parse(Value("--attempts") ?? "5"), args.Contains("--gc-loop"));
    }
}

/// <summary>The stress trials: GRPO, DAPO and DSDR from one small SFT backbone, and a DSDR with a KL reference from random weights.</summary>
internal static class StressTrials
{
    private const string Spec = """
        {
          "name": "stress",
          "task": { "kind": "countdown", "numbers": 3, "trainSize": 2000, "heldOutSize": 8, "dataSeed": 7 },
          "model": { "preset": "countdown", "sft": { "enabled": true, "steps": 30, "batchSize": 32, "learningRate": 0.001, "warmupSteps": 5, "seed": 0 } },
          "base": { "learningRate": 0.0001, "totalSteps": 40, "promptsPerStep": 4, "groupSize": 4, "miniBatchesPerStep": 2,
                    "maxNewTokens": 16, "lambdaD": 0.1, "lambdaL": 0.01, "tau": 5 },
          "arms": ["grpo", "dapo", "dsdr"],
          "seeds": [1],
          "eval": { "everySteps": 20, "atStart": false, "avgK": 2, "passKSamples": 2 }
        }
        """;

    public static IReadOnlyList<TrialSpec> All(int steps)
    {
        var trials = SweepExpander.Expand(SweepSpecParser.Parse(Spec).GetSpecOrThrow())
            .Select(t => t with { Config = t.Config with { TotalSteps = steps } }).ToList();
        var dsdr = trials[^1];
        trials.Add(dsdr with
        {
            TrialId = dsdr.TrialId + "-kl-random",
            Config = dsdr.Config with { KlBeta = 0.02, Seed = 2 },
            Model = dsdr.Model with { Sft = dsdr.Model.Sft with { Enabled = false } },
        });
        return trials;
    }
}

/// <summary>Metric and evaluation rows by step, as JSON without timings; a resumed attempt's rows replace the lost attempt's.</summary>
internal sealed class RowSink : ITrainingSink
{
    private readonly SortedDictionary<int, string> steps = [];
    private readonly SortedDictionary<int, string> evals = [];

    public List<string> Steps { get { lock (steps) return [.. steps.Values]; } }
    public List<string> Evals { get { lock (evals) return [.. evals.Values]; } }

    public void OnStep(StepMetrics m)
    {
        lock (steps) steps[m.Step] = JsonSerializer.Serialize(m with { TokensPerSecond = 0, Seconds = new StepTimings(0, 0, 0, 0, 0, 0) }, JsonlTrainingSink.JsonOptions);
    }

    public void OnEval(EvalReport r)
    {
        lock (evals) evals[r.Step] = JsonSerializer.Serialize(r with { Seconds = 0 }, JsonlTrainingSink.JsonOptions);
    }

    public void OnGroup(GroupRecord group) { }
    public void OnCheckpoint(CheckpointRecord checkpoint) { }
}

internal sealed record StressError(int Attempt, bool Native, string Type, string Message, string? Where);

internal sealed record TrialOutcome(string TrialId, string Arm, int Attempts, bool Completed, List<StressError> Errors,
    List<string> StepRows, List<string> EvalRows);

internal sealed record StressReport(string Mode, bool GcLoop, string? Gen0Size, int Gen0CollectionsPer64MiB, int[] Collections,
    double Seconds, TrialOutcome[] Trials);
