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
        $"ASHA: {Metric} = {value:G4} at step {rung} is not in the top 1/{ReductionFactor} of the {n} trials that reached it";
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
        if (!(Fraction > 0 && Fraction <= 1)) problems.Add(("fraction", $"must be in (0, 1], got {Fraction}"));
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
