// Issue 4 "learning is real" experiment: from one shared SFT backbone (Countdown, 3 numbers, calibrated countdown
// preset), trains each arm for N steps × seeds with TrialRunner (one child process per trial), evaluates on the
// held-out set and prints mean ± std over seeds with a Backbone row (step-0 evaluation). See README.md.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dsdr.Bench.Experiment;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Embedding;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Training;

try
{
    var options = ExperimentOptions.Parse(args);
    return options.ChildArm is { } arm ? RunChild(options, arm, options.ChildSeed) : RunExperiment(options);
}
catch (ExperimentInputException e)
{
    Console.Error.WriteLine($"dsdr-experiment: {e.Message}");
    return 2;
}

// One trial in this process: what each child runs.
static int RunChild(ExperimentOptions options, string arm, int seed)
{
    var trial = Experiment.Trials(options).Single(t => t.Arm == arm && t.Seed == seed);
    var folder = Experiment.TrialFolder(options, trial);
    var result = TrialRunner.WithDefaults(MiniLmEmbedder.Get()).Run(trial, new TrialRunOptions(folder, Resume: true,
        Device: "cpu", Threads: options.Threads, CheckpointEverySteps: 50, KeepCheckpoints: 1,
        SftCacheFolder: options.SftCache ?? Path.Combine(options.Out, "sft-cache"), Log: line => Console.WriteLine(line)));
    return result.Training.Cancelled ? 1 : 0;
}

static int RunExperiment(ExperimentOptions options)
{
    var trials = Experiment.Trials(options);
    Directory.CreateDirectory(options.Out);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"experiment: arms {string.Join(", ", options.Arms)} × seeds {string.Join(", ", options.Seeds)}, {options.Steps} steps, held-out {options.HeldOut}, {options.Threads} libtorch thread(s) per trial, {options.Parallel} in parallel → {options.Out}"));
    var clock = Stopwatch.StartNew();
    var pending = trials.Where(t => !File.Exists(Path.Combine(Experiment.TrialFolder(options, t), TrialRunner.SummaryFile))).ToList();
    Console.WriteLine($"{trials.Count - pending.Count} trial(s) already done, {pending.Count} to run");

    // The first pending trial trains (or finds) the shared SFT backbone alone, so parallel children never wait on its lock.
    var failures = new List<string>();
    if (pending.Count > 0 && !RunTrialProcess(options, pending[0], clock)) failures.Add(Experiment.TrialName(pending[0]));
    Parallel.ForEach(pending.Skip(1), new ParallelOptions { MaxDegreeOfParallelism = options.Parallel }, trial =>
    {
        if (!RunTrialProcess(options, trial, clock)) lock (failures) failures.Add(Experiment.TrialName(trial));
    });
    if (failures.Count > 0)
    {
        Console.Error.WriteLine($"dsdr-experiment: trial(s) failed: {string.Join(", ", failures)}; see child.log in their folders. Rerun to resume.");
        return 1;
    }

    var outcomes = trials.Select(t => TrialOutcome.Read(Experiment.TrialFolder(options, t), t)).ToList();
    var table = ResultTableBuilder.Build(outcomes.SelectMany(o => o.Records), Experiment.TableOptions(options, trials));
    var markdown = Experiment.UnboldExtraColumns(ResultTableRenderer.Render(table, "markdown", new ResultFormat(Decimals: 2)), table);
    var header = string.Create(CultureInfo.InvariantCulture,
        $"Countdown (3 numbers), {options.Steps} steps, seeds {string.Join(",", options.Seeds)}, held-out {options.HeldOut}; mean ± std over seeds; rates in %; the curve's pass@1 equals Avg@16 (same samples) and is left out; entropy = last step's policy entropy; seconds = the trial's training steps plus its evaluations after step 0.\n\n");
    File.WriteAllText(Path.Combine(options.Out, "results.md"), header + markdown);
    File.WriteAllText(Path.Combine(options.Out, "results.json"), JsonSerializer.Serialize(new
    {
        options.Steps, options.Seeds, options.Arms, options.HeldOut, options.Threads, options.Parallel,
        Table = JsonDocument.Parse(ResultTableRenderer.Render(table, "json")).RootElement,
        Trials = outcomes.Select(o => new { o.Trial.Arm, o.Trial.Seed, o.Trial.TrialId, o.Seconds, o.FinalEntropy, Records = o.Records }),
    }, JsonlTrainingSink.JsonOptions));
    Console.WriteLine();
    Console.WriteLine(header + markdown);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total {clock.Elapsed.TotalSeconds:0} s; results.md and results.json in {options.Out}"));
    return 0;
}

static bool RunTrialProcess(ExperimentOptions options, TrialSpec trial, Stopwatch clock)
{
    var folder = Experiment.TrialFolder(options, trial);
    Directory.CreateDirectory(folder);
    var name = Experiment.TrialName(trial);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,6:0} s] start {name}"));
    var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's executable to start a trial process");
    start.FileName = self;
    if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(Experiment).Assembly.Location);
    foreach (var a in options.ChildArguments(trial.Arm, trial.Seed)) start.ArgumentList.Add(a);
    using var log = new StreamWriter(Path.Combine(folder, "child.log"), append: true) { AutoFlush = true };
    using var process = new Process { StartInfo = start };
    process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
    process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
    var trialClock = Stopwatch.StartNew();
    process.Start();
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    process.WaitForExit();
    var ok = process.ExitCode == 0;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"[{clock.Elapsed.TotalSeconds,6:0} s] {(ok ? "done " : $"FAILED (exit {process.ExitCode}) ")}{name} in {trialClock.Elapsed.TotalSeconds:0} s"));
    return ok;
}

namespace Dsdr.Bench.Experiment
{
    public sealed class ExperimentInputException(string message) : Exception(message);

    /// <summary>Command-line options; the child mode (--child-arm/--child-seed) runs one trial.</summary>
    public sealed record ExperimentOptions(
        string Config, int Steps, IReadOnlyList<int> Seeds, IReadOnlyList<string> Arms, int Threads, string Out, int Parallel, int HeldOut,
        string? ChildArm, int ChildSeed, string? SftCache = null)
    {
        public static readonly IReadOnlyList<string> DefaultArms = ["grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc"];

        public static ExperimentOptions Parse(string[] args)
        {
            var o = new ExperimentOptions(FindDefaultConfig(), 150, [0, 1, 2], DefaultArms, 1, Path.Combine("runs", "experiment"), 1, 200, null, 0);
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ExperimentInputException($"{args[i]} needs a value");
                int Int(string name, int min)
                {
                    var text = Value();
                    return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min ? v
                        : throw new ExperimentInputException($"{name} must be a whole number ≥ {min}, got \"{text}\"");
                }
                o = args[i] switch
                {
                    "--config" => o with { Config = Value() },
                    "--steps" => o with { Steps = Int("--steps", 1) },
                    "--seeds" => o with { Seeds = List(Value(), "--seeds").Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
                        : throw new ExperimentInputException($"--seeds: \"{s}\" is not a whole number (write e.g. 0,1,2)")).Distinct().ToList() },
                    "--arms" => o with { Arms = List(Value(), "--arms").Distinct().ToList() },
                    "--threads" => o with { Threads = Int("--threads", 0) },
                    "--out" => o with { Out = Value() },
                    "--parallel" => o with { Parallel = Int("--parallel", 1) },
                    "--held-out" => o with { HeldOut = Int("--held-out", 1) },
                    "--sft-cache" => o with { SftCache = Value() },
                    "--child-arm" => o with { ChildArm = Value() },
                    "--child-seed" => o with { ChildSeed = Int("--child-seed", int.MinValue) },
                    "-h" or "--help" => throw new ExperimentInputException(Usage),
                    var other => throw new ExperimentInputException($"unknown option {other}\n{Usage}"),
                };
            }
            foreach (var arm in o.Arms)
                if (!ArmPresets.TryGet(arm, out _))
                    throw new ExperimentInputException($"--arms: unknown arm \"{arm}\"; known: {string.Join(", ", ArmPresets.Names)}");
            if (!File.Exists(o.Config)) throw new ExperimentInputException($"--config: file {o.Config} does not exist (default: examples/countdown-train.json above the working folder)");
            return o with { Config = Path.GetFullPath(o.Config), Out = Path.GetFullPath(o.Out), SftCache = o.SftCache is null ? null : Path.GetFullPath(o.SftCache) };
        }

        public const string Usage = "usage: Dsdr.Bench.Experiment [--steps 150] [--seeds 0,1,2] [--arms grpo,dapo,dsdr,dsdr-no-gd,dsdr-no-gc] [--threads 1] "
            + "[--parallel 1] [--held-out 200] [--out runs/experiment] [--sft-cache OUT/sft-cache] [--config examples/countdown-train.json]";

        public IEnumerable<string> ChildArguments(string arm, int seed) =>
        [
            "--config", Config, "--steps", Inv(Steps), "--seeds", string.Join(",", Seeds.Select(Inv)), "--arms", string.Join(",", Arms),
            "--threads", Inv(Threads), "--out", Out, "--held-out", Inv(HeldOut), "--child-arm", arm, "--child-seed", Inv(seed),
            .. (SftCache is null ? Array.Empty<string>() : ["--sft-cache", SftCache]),
        ];

        private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);

        private static List<string> List(string text, string name)
        {
            var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            return items.Count > 0 ? items : throw new ExperimentInputException($"{name}: give a comma-separated list");
        }

        private static string FindDefaultConfig()
        {
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                    if (Path.Combine(dir.FullName, "examples", "countdown-train.json") is var path && File.Exists(path))
                        return path;
            return Path.Combine("examples", "countdown-train.json");
        }
    }

    public static class Experiment
    {
        /// <summary>
        /// The config's sweep with the chosen arms, seeds, steps and held-out size. The held-out set is evaluated at the
        /// end only; the step-0 (backbone) evaluation only in the first arm of each seed, since every arm of a seed starts
        /// from the same backbone and evaluates with the same seed.
        /// </summary>
        public static IReadOnlyList<TrialSpec> Trials(ExperimentOptions o)
        {
            var parsed = SweepSpecParser.Parse(File.ReadAllText(o.Config));
            if (!parsed.IsValid) throw new ExperimentInputException($"--config {o.Config}: {string.Join("; ", parsed.Errors)}");
            var spec = parsed.Spec! with
            {
                Arms = o.Arms,
                Seeds = o.Seeds,
                Grid = [],
                Task = parsed.Spec!.Task with { HeldOutSize = o.HeldOut },
                Eval = parsed.Spec.Eval with { EverySteps = o.Steps },
            };
            return SweepExpander.Expand(spec)
                .Select(t => t with
                {
                    Config = t.Config with { TotalSteps = o.Steps },
                    Eval = t.Eval with { AtStart = t.Arm == o.Arms[0] },
                })
                .ToList();
        }

        public static string TrialName(TrialSpec t) => $"{t.Arm}-s{t.Seed}";

        public static string TrialFolder(ExperimentOptions o, TrialSpec t) => Path.Combine(o.Out, TrialName(t));

        public static readonly MetricKey Entropy = new("entropy");
        public static readonly MetricKey Seconds = new("seconds");

        /// <summary>Entropy and seconds are not better when higher: remove the renderer's "best" bold in those columns.</summary>
        public static string UnboldExtraColumns(string markdown, ResultTable table)
        {
            var extra = table.Columns.Select((c, i) => (c, i)).Where(x => x.c.Metric == Entropy || x.c.Metric == Seconds).Select(x => x.i + 2).ToHashSet();
            return string.Join('\n', markdown.Split('\n').Select(line => !line.StartsWith('|') ? line
                : string.Join('|', line.Split('|').Select((cell, i) => extra.Contains(i) ? cell.Replace("**", "") : cell))));
        }

        public static ResultTableOptions TableOptions(ExperimentOptions o, IReadOnlyList<TrialSpec> trials)
        {
            var eval = trials[0].Eval;
            var ks = new List<int>();
            // pass@1 from the n pass@k samples is their mean correctness: Avg@k itself when n = k, so the curve starts at 2
            for (var k = eval.PassKSamples == eval.AvgK ? 2 : 1; k <= eval.PassKSamples; k *= 2) ks.Add(k);
            if (ks[^1] != eval.PassKSamples) ks.Add(eval.PassKSamples);
            return ResultTableOptions.ForTrials(trials) with
            {
                IncludeBackbone = true,
                Metrics = [new(EvalMetrics.AvgAtK, eval.AvgK), new(EvalMetrics.Pass1), .. ks.Select(k => new MetricKey(EvalMetrics.PassAtK, k)),
                    new(EvalMetrics.DistinctCorrect), new(EvalMetrics.SolutionsFound), Entropy, Seconds],
            };
        }
    }

    /// <summary>A finished trial's figures read back from its folder (evals.jsonl, metrics.jsonl, summary.json).</summary>
    public sealed record TrialOutcome(TrialSpec Trial, IReadOnlyList<TrialEvalRecord> Records, double Seconds, double FinalEntropy)
    {
        public static TrialOutcome Read(string folder, TrialSpec trial)
        {
            // a resumed run appends to the JSONL files: the last line of a step wins
            var evals = Lines<EvalReport>(Path.Combine(folder, JsonlTrainingSink.EvalsFile)).GroupBy(e => e.Step).Select(g => g.Last()).ToList();
            var steps = Lines<StepMetrics>(Path.Combine(folder, JsonlTrainingSink.MetricsFile)).GroupBy(m => m.Step).Select(g => g.Last()).ToList();
            if (steps.Count == 0) throw new InvalidOperationException($"{folder}: metrics.jsonl has no step; rerun the experiment to resume it");
            var last = steps.MaxBy(m => m.Step)!;
            var final = evals.Where(e => e.Step > 0).MaxBy(e => e.Step)
                ?? throw new InvalidOperationException($"{folder}: evals.jsonl has no evaluation after step 0");
            // the steps' own times plus the evaluations after step 0: also right for a trial resumed over several runs
            var seconds = steps.Sum(m => m.Seconds.Total) + evals.Where(e => e.Step > 0).Sum(e => e.Seconds);

            TrialEvalRecord Record(int step, string benchmark, string metric, int? k, double value) =>
                new(trial.TrialId, trial.Arm, trial.Row, trial.Seed, step, benchmark, metric, k, value);
            var benchmark = final.Figures.Count > 0 ? final.Figures[0].Benchmark : "countdown";
            var records = evals.SelectMany(e => e.Figures.Select(f => Record(e.Step, f.Benchmark, f.Metric, f.K, f.Value)))
                .Append(Record(final.Step, benchmark, Experiment.Entropy.Metric, null, last.Entropy))
                .Append(Record(final.Step, benchmark, Experiment.Seconds.Metric, null, seconds))
                .ToList();
            return new TrialOutcome(trial, records, seconds, last.Entropy);
        }

        private static IEnumerable<T> Lines<T>(string path) => File.Exists(path)
            ? File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<T>(l, JsonlTrainingSink.JsonOptions)!).ToList()
            : [];
    }
}
