// Scoring throughput: formula extraction + DSDR group scoring for groups of 8 responses of ~1k tokens,
// embeddings given. Peer: Naive (LINQ, interpreted regex, per-pair recomputation), checked to give identical outputs.
// Usage: dotnet run -c Release --project bench/Dsdr.Bench.Scoring [-- --groups 200 --reps 7 --seed 1]
using System.Diagnostics;
using Dsdr.Bench.Scoring;
using Dsdr.Core.Formulas;
using Dsdr.Core.Method;

int groupCount = Arg("--groups", 200), reps = Arg("--reps", 7), seed = Arg("--seed", 1);
const int GroupSize = 8;
var config = new ScoringConfig();
var groups = Corpus.Groups(groupCount, GroupSize, seed);

double meanChars = groups.SelectMany(g => g.Texts).Average(t => t.Length);
Console.WriteLine($"corpus: {groupCount} groups × {GroupSize} responses, {meanChars:F0} chars/response (≈ {meanChars / 4:F0} tokens at 4 chars/token), " +
                  $"{Corpus.EmbeddingDimension}-d unit embeddings, seed {seed}");

GroupScores Fast(BenchGroup g)
{
    var sets = new IReadOnlySet<string>[g.Texts.Length];
    for (int i = 0; i < sets.Length; i++) sets[i] = DefaultFormulaExtractor.Instance.Extract(g.Texts[i]);
    return GroupScorer.Score(g.Rewards, g.Embeddings, sets, config);
}

GroupScores Reference(BenchGroup g) =>
    Naive.Score(g.Rewards, g.Embeddings, g.Texts.Select(Naive.Extract).ToArray(), config);

// identical outputs: same formula sets (same order) and bit-identical scores
int formulasSeen = 0;
foreach (var g in groups)
{
    for (int i = 0; i < GroupSize; i++)
    {
        var fast = DefaultFormulaExtractor.Instance.Extract(g.Texts[i]).ToArray();
        var naive = Naive.Extract(g.Texts[i]).ToArray();
        if (!fast.SequenceEqual(naive))
            throw new InvalidOperationException($"formula sets differ:\n  fast:  {string.Join(" | ", fast)}\n  naive: {string.Join(" | ", naive)}");
        formulasSeen += fast.Length;
    }
    var (a, b) = (Fast(g), Reference(g));
    string[] names = ["Semantic", "Formula", "Diversity", "Clipped", "ShapedRewards", "Advantages", "Weights"];
    double[][] fa = [a.Semantic, a.Formula, a.Diversity, a.Clipped, a.ShapedRewards, a.Advantages, a.Weights];
    double[][] na = [b.Semantic, b.Formula, b.Diversity, b.Clipped, b.ShapedRewards, b.Advantages, b.Weights];
    for (int k = 0; k < names.Length; k++)
        if (!fa[k].SequenceEqual(na[k]))
            throw new InvalidOperationException($"{names[k]} differs: [{string.Join(", ", fa[k])}] vs [{string.Join(", ", na[k])}]");
}
Console.WriteLine($"check: Dsdr.Core and Naive agree exactly on all {groupCount * GroupSize} responses " +
                  $"({(double)formulasSeen / (groupCount * GroupSize):F1} formulas/response) and all scores");

double fastUs = Measure("Dsdr.Core (extract + score)", () => { foreach (var g in groups) Fast(g); });
double naiveUs = Measure("Naive peer (extract + score)", () => { foreach (var g in groups) Reference(g); });
double extractUs = Measure("  of which Dsdr.Core extraction", () =>
{
    foreach (var g in groups) foreach (var t in g.Texts) DefaultFormulaExtractor.Instance.Extract(t);
});
var presets = groups.Select(g => g.Texts.Select(t => DefaultFormulaExtractor.Instance.Extract(t)).ToArray()).ToArray();
double scoreUs = Measure("  of which Dsdr.Core scoring", () =>
{
    for (int k = 0; k < groups.Length; k++) GroupScorer.Score(groups[k].Rewards, groups[k].Embeddings, presets[k], config);
});
Console.WriteLine($"ratio (CPU time): Dsdr.Core is {naiveUs / fastUs:F1}× the throughput of the Naive peer " +
                  $"(extraction {extractUs / fastUs * 100:F0}% / scoring {scoreUs / fastUs * 100:F0}% of Dsdr.Core's time)");

// median over reps of the time per group, as wall-clock time and as this process's CPU time (the latter is the
// steadier figure on a shared machine); at least 2 s of warm-up first so the JIT has reached its final tier
double Measure(string name, Action pass)
{
    var warmUp = Stopwatch.StartNew();
    for (int w = 0; w < 3 || warmUp.Elapsed < TimeSpan.FromSeconds(2); w++) pass();
    var wallUs = new double[reps];
    var cpuUs = new double[reps];
    var process = Process.GetCurrentProcess();
    for (int r = 0; r < reps; r++)
    {
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        pass();
        wallUs[r] = sw.Elapsed.TotalMicroseconds / groupCount;
        process.Refresh();
        cpuUs[r] = (process.TotalProcessorTime - cpu0).TotalMicroseconds / groupCount;
    }
    Array.Sort(wallUs);
    Array.Sort(cpuUs);
    double wall = wallUs[reps / 2], cpu = cpuUs[reps / 2];
    Console.WriteLine($"{name,-32} {1e6 / wall,8:F0} groups/s {wall,9:F1} µs/group wall (min {wallUs[0],7:F1}) | {1e6 / cpu,8:F0} groups/s {cpu,9:F1} µs/group CPU");
    return cpu;
}

int Arg(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    if (at < 0) return fallback;
    if (at + 1 < args.Length && int.TryParse(args[at + 1], out int v) && v > 0) return v;
    Console.Error.WriteLine($"{name} needs a positive integer, e.g. {name} {fallback}");
    Environment.Exit(2);
    return fallback;
}
