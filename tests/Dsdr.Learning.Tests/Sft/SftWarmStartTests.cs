using System.Diagnostics;
using System.Text.Json;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Sft;
using Dsdr.Learning.Tests.Evaluation;
using Dsdr.Learning.Tokenizers;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Sft;

public class SftWarmStartTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static SftRequest TinyRequest(string cacheRoot, int steps = 30) => new(
        EvaluatorTests.Countdown, EvaluatorTests.Config("countdown"), EvaluatorTests.Tokenizer,
        new SftSpec(Steps: steps, BatchSize: 32, LearningRate: 3e-3, WarmupSteps: 5, Seed: 1), cacheRoot, Threads: 1, Device: "cpu");

    private sealed class Counter : IProgress<SftProgress>
    {
        public List<SftProgress> Reports { get; } = [];
        public void Report(SftProgress value) { lock (Reports) Reports.Add(value); }
    }

    [Fact]
    public void TrainsReducesLossAndCachesByConfig()
    {
        var root = TestModels.TempFolder();
        var progress = new Counter();
        var folder = SftWarmStart.GetOrTrain(TinyRequest(root), progress, CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(folder, Checkpoint.ConfigFile)));
        Assert.True(File.Exists(Path.Combine(folder, Checkpoint.WeightsFile)));
        Assert.True(File.Exists(Path.Combine(folder, CharTokenizer.FileName)));
        var summary = JsonSerializer.Deserialize<SftSummary>(File.ReadAllText(Path.Combine(folder, SftWarmStart.SummaryFile)))!;
        Assert.True(summary.FinalLoss < summary.FirstLoss * 0.8, $"loss {summary.FirstLoss} → {summary.FinalLoss}");
        Assert.Equal([10, 20, 30], progress.Reports.Select(r => r.Step));
        Assert.All(progress.Reports, r => Assert.Equal(30, r.Steps));
        using (var loaded = Checkpoint.Load(folder)) Assert.Equal(EvaluatorTests.Config("countdown").HiddenSize, loaded.Config.HiddenSize);

        // a second call is a cache hit: same folder, no training
        var again = new Counter();
        var clock = Stopwatch.StartNew();
        Assert.Equal(folder, SftWarmStart.GetOrTrain(TinyRequest(root), again, CancellationToken.None));
        Assert.True(clock.Elapsed.TotalSeconds < 2, $"cache hit took {clock.Elapsed.TotalSeconds:F2} s");
        Assert.Empty(again.Reports);

        // anything that changes the result changes the key
        var request = TinyRequest(root);
        var keys = new[]
        {
            request,
            request with { Sft = request.Sft with { Seed = 2 } },
            request with { Sft = request.Sft with { Steps = 31 } },
            request with { Task = request.Task with { TargetRange = new IntRange(1, 50) } },
            request with { Model = request.Model with { NumHiddenLayers = 3 } },
            request with { Tokenizer = new CharTokenizer(CountdownProblem.CompactAlphabet + "x"), Model = request.Model with { VocabSize = request.Model.VocabSize + 1 } },
            request with { Prompts = PromptStyle.Verbose },
            request with { Task = request.Task with { Targets = TargetChoice.ByExpressions } },
            request with { Task = request.Task with { MinSolutions = 2 } },
        }.Select(SftWarmStart.CacheKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        // threads and device do not
        Assert.Equal(keys[0], SftWarmStart.CacheKey(request with { Threads = 2, Device = "auto" }));
        Assert.Equal(Path.GetFileName(folder), $"sft-{keys[0]}");
    }

    [Fact]
    public void ConcurrentCallersTrainOnceAndShareTheFolder()
    {
        var root = TestModels.TempFolder();
        var progress = new[] { new Counter(), new Counter() };
        var folders = new string[2];
        Parallel.For(0, 2, i => folders[i] = SftWarmStart.GetOrTrain(TinyRequest(root, steps: 10), progress[i], CancellationToken.None));
        Assert.Equal(folders[0], folders[1]);
        Assert.Single(progress, p => p.Reports.Count > 0);
        Assert.Single(Directory.GetDirectories(root));   // no temporary folder left behind
    }

    [Fact]
    public void BadRequestsAreRejected()
    {
        var request = TinyRequest(TestModels.TempFolder());
        Assert.Contains("Enabled is false", Assert.Throws<ArgumentException>(() => SftWarmStart.GetOrTrain(request with { Sft = request.Sft with { Enabled = false } }, null, default)).Message);
        Assert.Contains("vocabulary", Assert.Throws<ArgumentException>(() => SftWarmStart.GetOrTrain(request with { Model = request.Model with { VocabSize = 50 } }, null, default)).Message);
        Assert.Throws<NotSupportedException>(() => SftWarmStart.GetOrTrain(request with { Task = request.Task with { Kind = TaskKind.Math } }, null, default));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => SftWarmStart.GetOrTrain(request, null, cancelled.Token));
        Assert.Empty(Directory.GetDirectories(request.CacheRoot));
    }

    [Fact]
    public void LearningRateWarmsUpLinearlyThenStays()
    {
        Assert.Equal(1e-3 * 1 / 100, SftWarmStart.LearningRateAt(0, 1e-3, 100), 15);
        Assert.Equal(1e-3 * 50 / 100, SftWarmStart.LearningRateAt(49, 1e-3, 100), 15);
        Assert.Equal(1e-3, SftWarmStart.LearningRateAt(99, 1e-3, 100), 15);
        Assert.Equal(1e-3, SftWarmStart.LearningRateAt(500, 1e-3, 100), 15);
        Assert.Equal(1e-3, SftWarmStart.LearningRateAt(0, 1e-3, 0), 15);
    }

    [Fact]
    public void BatchMasksTheResponseAndEos()
    {
        var tokenizer = EvaluatorTests.Tokenizer;
        using var batch = SftBatch.Create([new SftExample("1 2=3:", "1+2"), new SftExample("4 5=9:", "4+5")], tokenizer, 32, CPU);
        // sequence "1 2=3:1+2<eos>" (10 tokens): inputs are its first 9, targets its last 9; the last 4 targets are "1+2<eos>"
        Assert.Equal(new long[] { 2, 9 }, batch.Inputs.shape);
        var ids = tokenizer.Encode("1 2=3:1+2").Select(i => (long)i).Append(tokenizer.EosId).ToArray();
        Assert.Equal(ids[..^1], batch.Inputs[0].data<long>().ToArray());
        Assert.Equal(ids[1..], batch.Targets[0].data<long>().ToArray());
        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 1, 1, 1, 1 }, batch.LossMask[0].data<float>().ToArray());
        var tooLong = Assert.Throws<ArgumentException>(() => SftBatch.Create([new SftExample("1 2=3:", "1+2")], tokenizer, 8, CPU));
        Assert.Contains("context is 8", tooLong.Message);
    }

    [Fact]
    public void ExamplesAreCorrectAndWrittenInSeveralWays()
    {
        var task = TaskCatalog.Get("countdown");
        var draw = SyntheticTasks.ExampleSource(EvaluatorTests.Countdown);
        var random = new SeededRandom(3);
        var examples = Enumerable.Range(0, 3000).Select(_ => draw(random)).ToList();
        Assert.All(examples, e => Assert.True(task.Verify(e.Response, CompactGold(e.Prompt)).Correct, $"{e.Prompt}{e.Response}"));
        // problems drawn more than once are answered with more than one solution and more than one writing
        var byPrompt = examples.GroupBy(e => e.Prompt).Where(g => g.Count() > 2).ToList();
        Assert.Contains(byPrompt, g => g.Select(e => task.SolutionKey(e.Response, CompactGold(e.Prompt))).Distinct().Count() > 1);
        Assert.Contains(byPrompt, g => g.Select(e => e.Response).Distinct().Count() > g.Select(e => task.SolutionKey(e.Response, CompactGold(e.Prompt))).Distinct().Count());
        // no training prompt is a held-out one
        var heldOut = SyntheticTasks.HeldOut(EvaluatorTests.Countdown).Select(p => p.Prompt).ToHashSet();
        Assert.DoesNotContain(examples, e => heldOut.Contains(e.Prompt));

        var arith = TaskCatalog.Get("arith");
        var arithSpec = new TaskSpec { Kind = TaskKind.Arith, NumberRange = new IntRange(2, 9), TrainSize = 50 };
        var arithDraw = SyntheticTasks.ExampleSource(arithSpec);
        var arithProblems = SyntheticTasks.Train(arithSpec).ToDictionary(p => p.Prompt, p => p.Gold);
        for (var i = 0; i < 20; i++)
        {
            var e = arithDraw(random);
            Assert.True(arith.Verify(e.Response, arithProblems[e.Prompt]).Correct, e.Response);
        }
    }

    // "3 5 8=64:" → "3 5 8 -> 64"
    private static string CompactGold(string prompt) => prompt.TrimEnd(':').Replace("=", " -> ");

    [Fact]
    public void QuickWarmStartBeatsAnUntrainedModelOnHeldOutProblems()
    {
        var config = EvaluatorTests.Config("countdown");
        var countdown = EvaluatorTests.Countdown with { Targets = TargetChoice.ByExpressions };
        var request = new SftRequest(countdown, config, EvaluatorTests.Tokenizer,
            new SftSpec(Steps: 150, BatchSize: 64, LearningRate: 4e-3, WarmupSteps: 20, Seed: 0), TestModels.TempFolder(), Threads: 1, Device: "cpu");
        var clock = Stopwatch.StartNew();
        var folder = SftWarmStart.GetOrTrain(request, null, CancellationToken.None);

        var sftSeconds = clock.Elapsed.TotalSeconds;
        var problems = SyntheticTasks.HeldOut(countdown);
        var spec = new EvalSpec { AvgK = 8, PassKSamples = 8 };
        var task = TaskCatalog.Get("countdown");
        double Avg(Qwen2ForCausalLMFactory make)
        {
            using var model = make();
            return Evaluator.Evaluate(model, EvaluatorTests.Tokenizer, task, "countdown", problems, spec, null, 0, 1, CancellationToken.None)
                .Find("countdown", EvalMetrics.AvgAtK, 8)!.Value;
        }
        var untrained = Avg(() => TestModels.Create(config, seed: 0));
        var backbone = Avg(() => Checkpoint.Load(folder));
        output.WriteLine($"SFT {sftSeconds:F1} s; held-out Avg@8: backbone {backbone:F3}, untrained {untrained:F3}");
        Assert.True(backbone > untrained + 0.01, $"held-out Avg@8: backbone {backbone:F3}, untrained {untrained:F3}");

        // on a model that answers some problems: the figures are consistent, repeatable for a seed and change with it
        using var model = Checkpoint.Load(folder);
        var wide = new EvalSpec { AvgK = 4, PassKSamples = 16 };
        EvalReport Run(int seed) => Evaluator.Evaluate(model, EvaluatorTests.Tokenizer, task, "cd", problems, wide, new CharCountEmbedder(), 3, seed, CancellationToken.None);
        var first = Run(1);
        Assert.Equal(first.Figures, Run(1).Figures);
        Assert.NotEqual(first.Figures, Run(2).Figures);
        var curve = first.Figures.Where(f => f.Metric == EvalMetrics.PassAtK).ToList();
        Assert.Equal([1, 2, 4, 8, 16], curve.Select(f => f.K!.Value));
        Assert.True(curve.Zip(curve.Skip(1)).All(p => p.First.Value <= p.Second.Value), "pass@k must not fall with k");
        Assert.True(first.Find("cd", EvalMetrics.PassAtK, 16) > 0);
        Assert.InRange(first.Find("cd", EvalMetrics.DistinctCorrect)!.Value, first.Find("cd", EvalMetrics.PassAtK, 16)!.Value, 16);
        Assert.InRange(first.Find("cd", EvalMetrics.SolutionsFound)!.Value, 1e-9, 1);
        Assert.InRange(first.Find("cd", EvalMetrics.SemanticSimilarity)!.Value, -1, 1 + 1e-6);
        Assert.InRange(first.Find("cd", EvalMetrics.FormulaSimilarity)!.Value, 0, 1);
        output.WriteLine(string.Join(" ", first.Figures.Select(f => $"{new MetricKey(f.Metric, f.K)}={f.Value:F3}")));
    }

    private delegate Model.Qwen2ForCausalLM Qwen2ForCausalLMFactory();
}
