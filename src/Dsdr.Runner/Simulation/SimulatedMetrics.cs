using Dsdr.Core.Reports;
using Dsdr.Core.Results;
using Dsdr.Grains.Running;

namespace Dsdr.Runner.Simulation;

/// <summary>
/// The step metrics and evaluation figures a simulated trial reports: functions of (trial, step) only, so a step
/// replayed after a resume reports the same values, as an exactly resumed trainer would. Simulated, not measured.
/// The evaluation is simulated per problem (<see cref="ProblemsAt"/>) and its figures are Core's
/// <see cref="ProblemFigures"/> of those outcomes, as the trainer's evaluator computes them.
/// </summary>
public static class SimulatedMetrics
{
    public const string Loss = "loss";
    public const string RewardMean = "reward/mean";

    /// <summary>The benchmark name of simulated evaluation figures.</summary>
    public const string Benchmark = "simulated";

    /// <summary>How many held-out problems a simulated evaluation answers ("000" … "031").</summary>
    public const int EvalProblems = 32;

    /// <summary>Distinct solutions each simulated problem has.</summary>
    public const int SolutionsPerProblem = 3;

    /// <summary>
    /// What the metrics table holds for a step under <paramref name="plan"/>: the step metrics, plus the evaluation
    /// figures' curves (named <see cref="EvalFigureKey.MetricName"/>) when it evaluates then.
    /// </summary>
    public static IReadOnlyDictionary<string, double> At(string trialId, int step, SimulationPlan plan)
    {
        if (!plan.EvaluatesAt(step)) return At(trialId, step);
        var all = new Dictionary<string, double>(At(trialId, step));
        foreach (var f in EvalAt(trialId, step, plan)) all[f.Key.MetricName] = f.Value;
        return all;
    }

    /// <summary>
    /// The simulated evaluation figures of <paramref name="step"/>: Pass@1, Avg@k, pass@k for k = 1, 2, 4, …, n, distinct
    /// correct solutions, solutions found, the similarities and the diversity-temperature figures,
    /// on the benchmark <see cref="Benchmark"/>; each is the mean of <see cref="ProblemsAt"/>'s per-problem values.
    /// </summary>
    public static IReadOnlyList<EvalFigureValue> EvalAt(string trialId, int step, SimulationPlan plan) =>
        [.. ProblemFigures.Figures(ProblemsAt(trialId, step, plan)).Select(f => new EvalFigureValue(new EvalFigureKey(Benchmark, f.Key), f.Value))];

    /// <summary>
    /// The simulated outcome of every problem q at <paramref name="step"/>: each rollout is correct with
    /// p_q = clamp(p + 0.25·e_q, 0.02, 0.98) (p the trial's <see cref="Accuracy"/>, e_q ∈ [−1, 1) a fixed ease of the
    /// problem shared by every trial); at the diversity temperature with 0.9·p_q. A correct rollout finds one of the
    /// problem's <see cref="SolutionsPerProblem"/> solutions; similarities fall as more distinct solutions are found.
    /// </summary>
    public static IReadOnlyList<ProblemEvalOutcome> ProblemsAt(string trialId, int step, SimulationPlan plan)
    {
        var p = Accuracy(trialId, step);
        var outcomes = new List<ProblemEvalOutcome>(EvalProblems);
        for (var q = 0; q < EvalProblems; q++)
        {
            var id = q.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
            var pq = Math.Clamp(p + 0.25 * Noise($"{Benchmark}#{id}#ease"), 0.02, 0.98);
            var key = $"{trialId}#{step}#{id}";
            var collapsed = step >= plan.CollapseAt;
            var avg = Draws(key + "#avg", plan.AvgK, pq, collapsed);
            var passK = plan.PassKSamples == plan.AvgK ? avg : Draws(key + "#pass", plan.PassKSamples, pq, collapsed);
            var diversity = Draws(key + "#diversity", plan.DiversitySamples, 0.9 * pq, collapsed);
            var (distinct, semantic, formula) = Diversity(passK, key);
            var (hotDistinct, hotSemantic, hotFormula) = Diversity(diversity, key + "#diversity");
            outcomes.Add(new ProblemEvalOutcome(Benchmark, id, (Noise(key + "#pass1") + 1) / 2 < pq,
                plan.AvgK, avg.Count(s => s >= 0), plan.PassKSamples, passK.Count(s => s >= 0), distinct, SolutionsPerProblem, semantic, formula,
                plan.DiversitySamples, diversity.Count(s => s >= 0), hotDistinct, hotSemantic, hotFormula));
        }
        return outcomes;
    }

    // each of n rollouts: the solution it found (0 … SolutionsPerProblem − 1; always 0 once collapsed) when correct (u < p), −1 when wrong
    private static int[] Draws(string key, int n, double p, bool collapsed) =>
        [.. Enumerable.Range(0, n).Select(i => (Noise($"{key}#{i}") + 1) / 2 < p ? collapsed ? 0 : (int)(Hash($"{key}#{i}#solution") % SolutionsPerProblem) : -1)];

    // distinct = |{ solution of a correct rollout }|; sem-sim = 0.95 − 0.15·(distinct − 1) + 0.02·u, formula-sim = 0.9 − 0.3·(distinct − 1) + 0.02·u
    // (clipped to [0, 1]) with at least 2 correct rollouts, else undefined
    private static (int Distinct, double? Semantic, double? Formula) Diversity(int[] draws, string key)
    {
        var correct = draws.Count(s => s >= 0);
        var distinct = draws.Where(s => s >= 0).Distinct().Count();
        if (correct < 2) return (distinct, null, null);
        return (distinct, Math.Clamp(0.95 - 0.15 * (distinct - 1) + 0.02 * Noise(key + "#semantic"), 0, 1),
            Math.Clamp(0.9 - 0.3 * (distinct - 1) + 0.02 * Noise(key + "#formula"), 0, 1));
    }

    /// <summary>p = 0.2 + 0.6 · step / (step + 20) + 0.02·u, clipped to [0, 1]: the simulated accuracy after <paramref name="step"/>.</summary>
    public static double Accuracy(string trialId, int step) =>
        Math.Clamp(0.2 + 0.6 * step / (step + 20.0) + 0.02 * Noise(trialId, step, "accuracy"), 0, 1);

    /// <summary>How often a simulated trial logs its rollouts' similarities (the trainer's default cadence).</summary>
    public const int SimilarityEvery = 10;

    public static IReadOnlyDictionary<string, double> At(string trialId, int step)
    {
        var noise = Noise(trialId, step);
        var metrics = new Dictionary<string, double>
        {
            // loss = 1 / (1 + step/10) · (1 + 0.05·u),  u ∈ [−1, 1)
            [Loss] = 1.0 / (1.0 + step / 10.0) * (1.0 + 0.05 * noise),
            // reward = 1 − 1 / (1 + step/10) + 0.02·u
            [RewardMean] = 1.0 - 1.0 / (1.0 + step / 10.0) + 0.02 * noise,
            // entropy = 0.4 + 0.8 · exp(−step/40) + 0.03·u_entropy
            [TrainingCurveNames.Entropy] = 0.4 + 0.8 * Math.Exp(-step / 40.0) + 0.03 * Noise(trialId, step, "entropy"),
        };
        if (step % SimilarityEvery == 0)
        {
            // semantic similarity = 0.8 + 0.1 · step/(step + 50) + 0.02·u_semantic; formula similarity = 0.5 + 0.2 · step/(step + 50) + 0.05·u_formula
            metrics[TrainingCurveNames.SemanticSimilarity] = 0.8 + 0.1 * step / (step + 50.0) + 0.02 * Noise(trialId, step, "semantic");
            metrics[TrainingCurveNames.FormulaSimilarity] = 0.5 + 0.2 * step / (step + 50.0) + 0.05 * Noise(trialId, step, "formula");
        }
        return metrics;
    }

    private static double Noise(string trialId, int step) => Noise($"{trialId}#{step}");

    internal static double Noise(string trialId, int step, string what) => Noise($"{trialId}#{step}#{what}");

    // A stable pseudo-random u ∈ [−1, 1) from a key: FNV-1a, not string.GetHashCode (random per process).
    internal static double Noise(string key) => (Hash(key) >> 11) / (double)(1UL << 53) * 2.0 - 1.0;

    internal static ulong Hash(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(key))
            hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }
}
