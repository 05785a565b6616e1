// SFT warm-start calibration (issue 4): trains the backbone on Countdown (3 numbers 1..20, targets ≤ 100) with the
// calibrated "countdown" preset and evaluates it and an untrained model on the 200 held-out problems.
// Usage: dotnet run -c Release --project bench/Dsdr.Bench.Sft -- [steps=600] [threads=2] [cacheRoot=/tmp/dsdr-sft-bench] [seed=0] [preset=countdown] [trainSize=10000] [targets=UniformReachable|ByExpressions]
using System.Diagnostics;
using System.Globalization;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Embedding;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sft;
using Dsdr.Learning.Tokenizers;

var steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 600;
var threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
var cacheRoot = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), "dsdr-sft-bench");
var seed = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 0;
var presetName = args.Length > 4 ? args[4] : "countdown";
var trainSize = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : new TaskSpec().TrainSize;
var targets = args.Length > 6 ? Enum.Parse<TargetChoice>(args[6], ignoreCase: true) : TargetChoice.UniformReachable;

var task = new TaskSpec { TrainSize = trainSize, Targets = targets };
var tokenizer = new CharTokenizer(CountdownProblem.CompactAlphabet);
if (!ModelPresets.TryGet(presetName, out var preset)) throw new ArgumentException($"Unknown preset {presetName}.");
var config = Qwen2Config.FromPreset(preset, tokenizer.VocabSize);
var request = new SftRequest(task, config, tokenizer, new SftSpec(Steps: steps, Seed: seed), cacheRoot, threads, "cpu");

var clock = Stopwatch.StartNew();
var folder = SftWarmStart.GetOrTrain(request, new Progress<SftProgress>(p =>
{
    if (p.Step % 100 == 0 || p.Step == p.Steps) Console.WriteLine($"  step {p.Step}/{p.Steps} loss {p.Loss:F4}  {clock.Elapsed.TotalSeconds:F1} s");
}), CancellationToken.None);
Console.WriteLine($"SFT {presetName} targets {targets} ({steps} steps, batch 128, lr 1e-3, warm-up 100, {threads} threads): {clock.Elapsed.TotalSeconds:F1} s → {folder}");
Console.WriteLine(File.ReadAllText(Path.Combine(folder, SftWarmStart.SummaryFile)).Split('\n').Where(l => l.Contains("Loss") || l.Contains("Seconds") || l.Contains("Parameters")).Aggregate("", (a, l) => a + l.Trim() + " "));

var heldOut = SyntheticTasks.HeldOut(task);
var countdown = TaskCatalog.Get("countdown");
foreach (var (label, model) in new[] { ("untrained", new Qwen2ForCausalLM(config)), ("backbone", Checkpoint.Load(folder)) })
{
    using (model)
    {
        foreach (var k in new[] { 8, 16 })
        {
            var spec = new EvalSpec { AvgK = k, PassKSamples = 16 };
            var embedder = label == "backbone" ? MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: threads)) : null;
            var report = Evaluator.Evaluate(model, tokenizer, countdown, "countdown", heldOut, spec, embedder, 0, 1, CancellationToken.None);
            Console.WriteLine($"{label,-9} Avg@{k}: " + string.Join("  ", report.Figures.Select(f => $"{f.Metric}{(f.K is { } kk ? "@" + kk : "")}={f.Value:F3}")) + $"  ({report.Seconds:F1} s)");
        }
    }
}
