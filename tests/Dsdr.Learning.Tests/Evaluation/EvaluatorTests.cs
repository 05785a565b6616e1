using Dsdr.Core.Method;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sft;
using Dsdr.Learning.Tokenizers;

namespace Dsdr.Learning.Tests.Evaluation;

public class EvaluatorTests
{
    internal static readonly CharTokenizer Tokenizer = new(CountdownProblem.CompactAlphabet);
    internal static readonly TaskSpec Countdown = new() { TrainSize = 2000, HeldOutSize = 100 };
    private static readonly IReasoningTask Task = TaskCatalog.Get("countdown");

    internal static Qwen2Config Config(string preset = "countdown") =>
        Qwen2Config.Preset(preset, Tokenizer.VocabSize);

    [Fact]
    public void EvaluatesAnUntrainedModelDeterministicallyWithEveryFigure()
    {
        using var model = TestModels.Create(Config(), seed: 3);
        model.train();
        var problems = SyntheticTasks.HeldOut(Countdown).Take(12).ToList();
        var spec = new EvalSpec { AvgK = 4, PassKSamples = 8 };
        var first = Evaluator.Evaluate(model, Tokenizer, Task, "countdown", problems, spec, new CharCountEmbedder(), step: 7, seed: 5, CancellationToken.None);
        var again = Evaluator.Evaluate(model, Tokenizer, Task, "countdown", problems, spec, new CharCountEmbedder(), step: 7, seed: 5, CancellationToken.None);

        Assert.True(model.training);  // its mode is restored
        Assert.Equal(7, first.Step);
        Assert.True(first.Seconds > 0);
        Assert.Equal(first.Figures, again.Figures);
        var keys = first.Figures.Select(f => new MetricKey(f.Metric, f.K).ToString()).ToList();
        Assert.Equal(["pass1", "avg@4", "pass@1", "pass@2", "pass@4", "pass@8", "distinct", "solutionsFound"], keys.Take(8));
        Assert.All(first.Figures.Where(f => EvalMetrics.Rates.Contains(f.Metric)), f => Assert.InRange(f.Value, 0, 1));

        // one outcome per problem, and every figure is the mean of the per-problem values
        Assert.Equal(problems.Select(p => p.Id), first.ProblemOutcomes.Select(o => o.ProblemId));
        Assert.Equal(first.ProblemOutcomes, again.ProblemOutcomes);
        Assert.All(first.ProblemOutcomes, o => Assert.Equal((4, 8), (o.AvgSamples, o.PassKSamples)));
        foreach (var f in first.Figures)
            Assert.Equal(ProblemFigures.Mean(first.ProblemOutcomes, new MetricKey(f.Metric, f.K))!.Value, f.Value, 12);
    }

    [Fact]
    public void DiversityIsMeasuredAgainAtTheDiversityTemperatureOrReusesThePassKRollouts()
    {
        using var model = TestModels.Create(Config(), seed: 3);
        var problems = SyntheticTasks.HeldOut(Countdown).Take(6).ToList();
        EvalReport Run(EvalSpec spec) => Evaluator.Evaluate(model, Tokenizer, Task, "countdown", problems, spec, new CharCountEmbedder(), 1, 5, CancellationToken.None);

        var hot = Run(new EvalSpec { AvgK = 4, PassKSamples = 4, DiversitySamples = 6, DiversityTemperature = 1.0 });
        Assert.All(hot.ProblemOutcomes, o => Assert.Equal(6, o.DiversitySamples));
        Assert.Contains(hot.Figures, f => f.Metric == EvalMetrics.DiversityDistinct);

        // drawn as the pass@k rollouts are: the same rollouts, so the same diversity figures
        var same = Run(new EvalSpec { AvgK = 4, PassKSamples = 4, DiversitySamples = 4, DiversityTemperature = 0.7, DiversityTopP = 0.9 });
        Assert.True(Evaluator.DiversityReusesPassK(new EvalSpec { AvgK = 4, PassKSamples = 4, DiversitySamples = 4, DiversityTemperature = 0.7, DiversityTopP = 0.9 }));
        Assert.All(same.ProblemOutcomes, o => Assert.Equal((o.PassKCorrect, o.DistinctCorrect, o.SemanticSimilarity, o.FormulaSimilarity),
            (o.DiversityCorrect, o.DiversityDistinct, o.DiversitySemanticSimilarity, o.DiversityFormulaSimilarity)));

        var none = Run(new EvalSpec { AvgK = 4, PassKSamples = 4, DiversitySamples = 0 });
        Assert.DoesNotContain(none.Figures, f => f.Metric.StartsWith("diversity", StringComparison.Ordinal));
        Assert.All(none.ProblemOutcomes, o => Assert.Equal(0, o.DiversitySamples));
        // the Pass@1/Avg@k/pass@k rollouts do not depend on whether diversity rollouts are drawn
        Assert.Equal(none.ProblemOutcomes.Select(o => (o.Pass1Correct, o.AvgCorrect, o.PassKCorrect)), hot.ProblemOutcomes.Select(o => (o.Pass1Correct, o.AvgCorrect, o.PassKCorrect)));
        Assert.Throws<ArgumentException>(() => Run(new EvalSpec { TopP = 0 }));
        Assert.Throws<ArgumentException>(() => Run(new EvalSpec { DiversitySamples = -1 }));
    }

    [Fact]
    public void RepeatedProblemIdsAreMadeUnique()
    {
        var problem = SyntheticTasks.HeldOut(Countdown)[0];
        Assert.Equal(["a", "b", "a#2", "a#3"], Evaluator.UniqueIds([problem with { Id = "a" }, problem with { Id = "b" }, problem with { Id = "a" }, problem with { Id = "a" }]));
    }

    [Fact]
    public void RejectsBadInputWithClearMessages()
    {
        using var model = TestModels.Create(Config());
        var problems = SyntheticTasks.HeldOut(Countdown).Take(2).ToList();
        Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(model, Tokenizer, Task, "b", [], new EvalSpec(), null, 0, 0, CancellationToken.None));
        var tooLong = Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(model, Tokenizer, Task, "b", problems, new EvalSpec(), null, 0, 0,
            new EvalOptions(MaxNewTokens: 80), CancellationToken.None));
        Assert.Contains("context is 64", tooLong.Message);
        Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(model, Tokenizer, Task, "b", problems, new EvalSpec { AvgK = 0 }, null, 0, 0, CancellationToken.None));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => Evaluator.Evaluate(model, Tokenizer, Task, "b", problems, new EvalSpec(), null, 0, 0, cancelled.Token));
    }

    [Fact]
    public void ChunkedGenerationStaysWithinTheRowBudgetAndEveryProblemIsAnswered()
    {
        using var model = TestModels.Create(Config(), seed: 4);
        var problems = SyntheticTasks.HeldOut(Countdown).Take(5).ToList();
        var spec = new EvalSpec { AvgK = 4, PassKSamples = 4, DiversitySamples = 4 };
        // 4 samples per problem, 8 rows per batch: 2 problems per chunk, 3 chunks
        var report = Evaluator.Evaluate(model, Tokenizer, Task, "b", problems, spec, null, 0, 1, new EvalOptions(MaxNewTokens: 6, MaxRowsPerBatch: 8), CancellationToken.None);
        Assert.Equal(report.Find("b", EvalMetrics.AvgAtK, 4), report.Find("b", EvalMetrics.PassAtK, 1));
        Assert.Null(report.Find("b", EvalMetrics.SemanticSimilarity));
    }
}

/// <summary>A deterministic test encoder: the unit vector of character counts (not a policy; it only feeds the similarity).</summary>
internal sealed class CharCountEmbedder : IEmbedder
{
    public int Dimension => 128;

    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts) => texts.Select(text =>
    {
        var v = new float[Dimension];
        foreach (var c in text) v[c % Dimension] += 1;
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return norm == 0 ? v : v.Select(x => x / norm).ToArray();
    }).ToList();
}
