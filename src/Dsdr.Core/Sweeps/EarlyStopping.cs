namespace Dsdr.Core.Sweeps;

/// <summary>
/// ASHA (asynchronous successive halving, Li et al. 2018) over one metric: at each rung (a training step) a trial goes on
/// only while it is in the top 1/η of the trials that reached that rung before it (itself included).
/// </summary>
/// <param name="Rungs">Steps at which trials are compared, strictly increasing, each ≥ 1 and below the trials' total steps.</param>
/// <param name="ReductionFactor">η ≥ 2: the share 1/η of trials that go on at each rung.</param>
/// <param name="Maximize">true when a higher metric is better (rewards, pass rates), false for losses.</param>
public sealed record AshaRule(string Metric, IReadOnlyList<int> Rungs, int ReductionFactor = 3, bool Maximize = true)
{
    /// <summary>What is wrong with the rule for trials of <paramref name="totalSteps"/> steps, as (field, reason); empty when nothing is.</summary>
    public IReadOnlyList<(string Field, string Reason)> Problems(int totalSteps)
    {
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(Metric)) problems.Add(("metric", "is empty: name the metric the rungs compare, e.g. \"reward/mean\""));
        if (ReductionFactor < 2) problems.Add(("reductionFactor", $"must be ≥ 2 (1/η of the trials go on at each rung), got {ReductionFactor}"));
        if (Rungs.Count == 0) problems.Add(("rungs", "is empty: give the steps at which trials are compared, e.g. [10, 30, 90]"));
        for (var i = 0; i < Rungs.Count; i++)
        {
            if (Rungs[i] < 1) problems.Add(($"rungs[{i}]", $"must be ≥ 1, got {Rungs[i]}"));
            else if (Rungs[i] >= totalSteps) problems.Add(($"rungs[{i}]", $"step {Rungs[i]} is not below the trials' total steps {totalSteps}; a rung must come before the end"));
            if (i > 0 && Rungs[i] <= Rungs[i - 1]) problems.Add(($"rungs[{i}]", $"must be greater than the rung before it ({Rungs[i - 1]})"));
        }
        return problems;
    }

    /// <summary>
    /// Whether a trial with <paramref name="value"/> at a rung goes on, given the values of every trial that reached the rung so
    /// far (<paramref name="atRung"/>, this one included): go on ⇔ n &lt; η ∨ rank(value) ≤ ⌊n/η⌋ (rank 1 = best, ties share the better rank).
    /// </summary>
    public bool Continues(double value, IReadOnlyCollection<double> atRung)
    {
        var n = atRung.Count;
        if (n < ReductionFactor) return true;
        var better = atRung.Count(v => Maximize ? v > value : v < value);
        return better + 1 <= n / ReductionFactor;
    }

    /// <summary>The reason a stopped trial gives.</summary>
    public string StopReason(int rung, double value, int n) =>
        $"stopped by ASHA at rung {rung}: {Metric} = {value:G4} is not in the top 1/{ReductionFactor} of the {n} trials that reached it";

    /// <summary>The reason with the rung's cutoff, the ⌊n/η⌋-th best value among <paramref name="atRung"/> (the worst that still goes on).</summary>
    public string StopReason(int rung, double value, IReadOnlyCollection<double> atRung)
    {
        var keep = Math.Max(1, atRung.Count / ReductionFactor);
        var cutoff = (Maximize ? atRung.OrderByDescending(v => v) : atRung.OrderBy(v => v)).ElementAt(keep - 1);
        return $"{StopReason(rung, value, atRung.Count)} (its top 1/{ReductionFactor} reach {cutoff:G4})";
    }
}

/// <summary>
/// The diversity-collapse rule: stop a trial whose diversity metric (distinct correct solutions, entropy) stays below
/// <paramref name="Fraction"/> of the backbone's for <paramref name="Patience"/> evaluations in a row.
/// </summary>
public sealed record DiversityCollapseRule(string Metric, double Fraction, int Patience)
{
    public IReadOnlyList<(string Field, string Reason)> Problems()
    {
        var problems = new List<(string, string)>();
        if (string.IsNullOrWhiteSpace(Metric)) problems.Add(("metric", "is empty: name a diversity metric, e.g. \"distinct\" or \"entropy\""));
        if (!(Fraction > 0 && Fraction < 1)) problems.Add(("fraction", $"must be in (0, 1), a share of the backbone's value, got {Fraction}"));
        if (Patience < 1) problems.Add(("patience", $"must be ≥ 1 evaluation, got {Patience}"));
        return problems;
    }

    /// <summary>
    /// Stop ⇔ the last <see cref="Patience"/> values (in step order) are each &lt; fraction · backbone; null to go on, else the reason.
    /// A backbone of 0 or less never stops a trial (there is nothing to fall below).
    /// </summary>
    public string? StopReason(IReadOnlyList<(int Step, double Value)> evaluations, double backbone)
    {
        if (backbone <= 0 || evaluations.Count < Patience) return null;
        var threshold = Fraction * backbone;
        var last = evaluations.OrderBy(e => e.Step).TakeLast(Patience).ToList();
        return last.All(e => e.Value < threshold)
            ? $"diversity collapse: {Metric} below {Fraction:P0} of the backbone's {backbone:G4} (< {threshold:G4}) for {Patience} evaluations, steps {string.Join(", ", last.Select(e => e.Step))}"
            : null;
    }
}

/// <summary>A sweep's early-stopping rules, either or both; a trial either rule stops ends "stopped" and keeps its checkpoint.</summary>
public sealed record EarlyStoppingSpec(AshaRule? Asha = null, DiversityCollapseRule? DiversityCollapse = null);

/// <summary>
/// The metrics early-stopping rules may watch: an evaluation figure "eval/&lt;benchmark&gt;/&lt;metric&gt;[@k]" of one of the
/// task's benchmarks, or one of the trainer's step metrics (<see cref="TrainMetrics"/>). The diversity-collapse rule takes
/// only metrics that fall when diversity collapses (<see cref="DiversityEvalMetrics"/>, or the policy's entropy).
/// </summary>
public static class EarlyStoppingMetrics
{
    public const string EvalPrefix = "eval/";
    public const string Entropy = "entropy";

    /// <summary>Step metrics every trainer step reports (Dsdr.Runner's StepMetricNames writes them under these names).</summary>
    public static IReadOnlyList<string> TrainMetrics { get; } =
        ["reward/mean", "reward/std", Entropy, "loss/policy", "groups/zero_std_fraction", "response/length_mean", "grad_norm"];

    /// <summary>Evaluation figures that count distinct correct solutions (higher = more diverse).</summary>
    public static IReadOnlyList<string> DiversityEvalMetrics { get; } =
        [Results.EvalMetrics.DistinctCorrect, Results.EvalMetrics.DiversityDistinct, Results.EvalMetrics.SolutionsFound];

    /// <summary>(benchmark, metric, k) of "eval/&lt;benchmark&gt;/&lt;metric&gt;[@k]"; null for any other name.</summary>
    public static (string Benchmark, string Metric, int? K)? ParseEval(string name)
    {
        if (!name.StartsWith(EvalPrefix, StringComparison.Ordinal)) return null;
        var parts = name[EvalPrefix.Length..].Split('/');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0) return null;
        var at = parts[1].IndexOf('@');
        if (at < 0) return (parts[0], parts[1], null);
        return int.TryParse(parts[1][(at + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var k) && k >= 1
            ? (parts[0], parts[1][..at], k)
            : null;
    }

    /// <summary>Whether <paramref name="name"/> is an evaluation figure (arrives only at evaluation steps) rather than a step metric.</summary>
    public static bool IsEval(string name) => name.StartsWith(EvalPrefix, StringComparison.Ordinal);

    /// <summary>What is wrong with <paramref name="name"/> as a watched metric of a sweep evaluating <paramref name="benchmarks"/>; null when nothing is.</summary>
    public static string? Problem(string name, IReadOnlyList<string> benchmarks, bool diversity)
    {
        var examples = benchmarks.Count > 0 ? benchmarks[0] : "countdown";
        if (ParseEval(name) is { } eval)
        {
            if (!benchmarks.Contains(eval.Benchmark))
                return $"\"{name}\" names benchmark \"{eval.Benchmark}\", which this sweep does not evaluate; use one of {string.Join(", ", benchmarks)}";
            if (!Results.EvalMetrics.All.TryGetValue(eval.Metric, out var takesK))
                return $"\"{name}\" names no evaluation figure \"{eval.Metric}\"; use one of {string.Join(", ", Results.EvalMetrics.All.Keys)}";
            if (takesK != eval.K.HasValue)
                return takesK ? $"\"{eval.Metric}\" needs its k, e.g. \"eval/{eval.Benchmark}/{eval.Metric}@16\"" : $"\"{eval.Metric}\" takes no k; write \"eval/{eval.Benchmark}/{eval.Metric}\"";
            if (diversity && !DiversityEvalMetrics.Contains(eval.Metric))
                return $"\"{eval.Metric}\" does not measure diversity; the collapse rule watches one of {string.Join(", ", DiversityEvalMetrics)} (eval/{examples}/…) or \"{Entropy}\"";
            return null;
        }
        if (IsEval(name)) return $"\"{name}\" is not an evaluation figure name; write \"eval/<benchmark>/<metric>[@k]\", e.g. \"eval/{examples}/avg@16\"";
        if (diversity && name != Entropy)
            return $"unknown diversity metric \"{name}\"; use \"{Entropy}\" or eval/{examples}/ followed by one of {string.Join(", ", DiversityEvalMetrics)}";
        if (!TrainMetrics.Contains(name))
            return $"unknown metric \"{name}\"; use an evaluation figure such as \"eval/{examples}/avg@16\" or a step metric: {string.Join(", ", TrainMetrics)}";
        return null;
    }
}
