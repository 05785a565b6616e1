// RL step time of one dsdr build against another (issue 13: "a d128 RL step ≤ 0.30 s on 1 thread, measured against the
// previous commit"). Each build trains the same trial with `dsdr train --threads 1` (countdown-wide, d = 128, the demo's
// B = 16 × G = 8, arm dsdr, evaluation off); the trainer's own per-step timings (metrics.jsonl "seconds") are averaged
// after a warm-up, builds alternate round by round so load from other processes falls on both, and the best round counts.
// Usage: dotnet bench/Dsdr.Bench.Step/bin/Release/net10.0/Dsdr.Bench.Step.dll --baseline OLD/dsdr.dll
//        [--candidate NEW/dsdr.dll] [--steps 40] [--warmup 5] [--rounds 2] [--arm dsdr] [--work DIR]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

var options = Args.Parse(args);
var work = options.Work;
Directory.CreateDirectory(work);
var spec = Path.Combine(work, "step-bench.json");
File.WriteAllText(spec, Spec(options.Steps));
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load {Load()}; {options.Steps} steps of arm {options.Arm}, first {options.Warmup} left out, {options.Rounds} rounds");

var builds = new[] { ("baseline", options.Baseline), ("candidate", options.Candidate) };
var best = new Dictionary<string, Timings>();
for (var round = 1; round <= options.Rounds; round++)
    foreach (var (label, dll) in builds)
    {
        var timings = Run(dll, label, round);
        Console.WriteLine($"round {round} {label,-9} {timings}");
        if (!best.TryGetValue(label, out var known) || timings.Total < known.Total) best[label] = timings;
    }

var (b, c) = (best["baseline"], best["candidate"]);
Console.WriteLine();
Console.WriteLine("| part | baseline (s/step) | candidate (s/step) | candidate / baseline |");
Console.WriteLine("| --- | ---: | ---: | ---: |");
foreach (var (name, pick) in Timings.Parts)
    Console.WriteLine($"| {name} | {pick(b):0.000} | {pick(c):0.000} | {Ratio(pick(c), pick(b))} |");
Console.WriteLine($"load at the end {Load()}");

Timings Run(string dll, string label, int round)
{
    var output = Path.Combine(work, $"{label}-r{round}");
    if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
    var start = new ProcessStartInfo("dotnet", ["exec", dll, "train", "--config", spec, "--arm", options.Arm, "--out", output, "--threads", "1",
        "--sft-cache", Path.Combine(work, $"sft-{label}")]) { RedirectStandardOutput = true, RedirectStandardError = true };
    using var process = Process.Start(start)!;
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"{label} ({dll}) exited {process.ExitCode}: {stderr.Result}{stdout.Result}");
    var rows = File.ReadLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!["seconds"]!).Skip(options.Warmup).ToList();
    double Mean(string part) => rows.Average(r => r[part]!.GetValue<double>());
    return new Timings(Mean("total"), Mean("generation"), Mean("embed"), Mean("update"), Mean("verify") + Mean("score"));
}

static string Ratio(double candidate, double baseline) => baseline > 0 ? (candidate / baseline).ToString("0.00", CultureInfo.InvariantCulture) : "–";

static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

// the demo's task and RL settings on the d = 128 preset with a 400-step SFT backbone
static string Spec(int steps) => $$"""
    {
      "name": "step-bench",
      "task": { "kind": "countdown", "numbers": 3, "numberRange": { "min": 1, "max": 20 }, "targetRange": { "min": 1, "max": 100 },
                "trainSize": 10000, "heldOutSize": 200, "dataSeed": 1234 },
      "model": { "preset": "countdown-wide", "sft": { "enabled": true, "steps": 400, "batchSize": 128, "learningRate": 0.001, "warmupSteps": 100, "seed": 0 } },
      "base": { "learningRate": 0.0001, "totalSteps": {{steps}}, "promptsPerStep": 16, "groupSize": 8, "miniBatchesPerStep": 2, "ppoEpochs": 1,
                "gradClip": 1.0, "lambdaD": 0.1, "lambdaL": 0.01, "tau": 5 },
      "arms": ["grpo", "dsdr"],
      "seeds": [0],
      "eval": { "everySteps": 100000, "atStart": false }
    }
    """;

internal sealed record Timings(double Total, double Generation, double Embed, double Update, double VerifyAndScore)
{
    public static readonly (string Name, Func<Timings, double> Pick)[] Parts =
        [("total", t => t.Total), ("generation", t => t.Generation), ("embed", t => t.Embed), ("update", t => t.Update), ("verify + score", t => t.VerifyAndScore)];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"total {Total:0.000} s/step (generation {Generation:0.000}, embed {Embed:0.000}, update {Update:0.000})");
}

internal sealed record Args(string Baseline, string Candidate, int Steps, int Warmup, int Rounds, string Arm, string Work)
{
    public static Args Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Number(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var baseline = Value("--baseline") ?? throw new ArgumentException("--baseline PATH/dsdr.dll is required: build the commit to compare against (see bench/Dsdr.Bench.Step/README.md).");
        var candidate = Value("--candidate") ?? Path.Combine(RepoRoot(), "src", "Dsdr.Cli", "bin", "Release", "net10.0", "dsdr.dll");
        foreach (var dll in new[] { baseline, candidate })
            if (!File.Exists(dll)) throw new ArgumentException($"{dll} does not exist; build it with dotnet build src/Dsdr.Cli -c Release.");
        var steps = Number("--steps", 40);
        var warmup = Number("--warmup", 5);
        if (warmup >= steps) throw new ArgumentException($"--warmup ({warmup}) must be below --steps ({steps}).");
        return new(Path.GetFullPath(baseline), Path.GetFullPath(candidate), steps, warmup, Number("--rounds", 2), Value("--arm") ?? "dsdr",
            Value("--work") ?? Path.Combine(Path.GetTempPath(), "dsdr-step-bench"));
    }

    private static string RepoRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Dsdr.sln"))) return folder.FullName;
        throw new InvalidOperationException("Run this from a Dsdr checkout (no Dsdr.sln above the binary), or pass --candidate.");
    }
}
