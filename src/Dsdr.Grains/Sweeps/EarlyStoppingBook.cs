using Dsdr.Core.Sweeps;

namespace Dsdr.Grains.Sweeps;

/// <summary>
/// What a sweep's early-stopping rules have seen, kept in the sweep's state: each ASHA rung's values by trial (in the
/// order trials reached it), and each trial's diversity values (its first one, the backbone's, and the latest few).
/// <see cref="Observe"/> takes one report and says whether the trial must stop, and why.
/// </summary>
[GenerateSerializer]
public sealed class EarlyStoppingBook
{
    [Id(0)] public EarlyStoppingSpec? Rules { get; set; }

    /// <summary>Rung step → trial → the ASHA metric's value when the trial reached the rung (the first report wins).</summary>
    [Id(1)] public Dictionary<int, Dictionary<string, double>> Rungs { get; set; } = [];

    /// <summary>Trial → step → the collapse metric's value: the trial's first report (its backbone) and its latest <c>patience</c>.</summary>
    [Id(2)] public Dictionary<string, Dictionary<int, double>> Diversity { get; set; } = [];

    /// <summary>Trial → why a rule stopped it: asked again (a replayed report, a resumed attempt) the answer stays.</summary>
    [Id(3)] public Dictionary<string, string> Stops { get; set; } = [];

    /// <summary>The metric names a slot passes on to the sweep at <paramref name="step"/> (empty: none).</summary>
    public static IReadOnlyList<string> WatchedAt(EarlyStoppingSpec? rules, int step)
    {
        if (rules is null) return [];
        var names = new List<string>(2);
        if (rules.Asha is { } asha && asha.Rungs.Contains(step)) names.Add(asha.Metric);
        if (rules.DiversityCollapse is { } collapse) names.Add(collapse.Metric);
        return names;
    }

    /// <summary>
    /// Takes a trial's <paramref name="values"/> at <paramref name="step"/>; the stop reason when a rule stops it (now or
    /// before), else null. ASHA decides once per (rung, trial), when the trial first reaches the rung, against the trials
    /// that reached it before (asynchronous successive halving); a step replayed after a resume changes nothing. The
    /// collapse rule compares the trial's later values with its first one.
    /// </summary>
    public string? Observe(string trialId, int step, IReadOnlyDictionary<string, double> values)
    {
        if (Stops.TryGetValue(trialId, out var stopped)) return stopped;
        var reason = Decide(trialId, step, values);
        if (reason is not null) Stops[trialId] = reason;
        return reason;
    }

    private string? Decide(string trialId, int step, IReadOnlyDictionary<string, double> values)
    {
        if (Rules?.Asha is { } asha && asha.Rungs.Contains(step) && values.TryGetValue(asha.Metric, out var value))
        {
            if (!Rungs.TryGetValue(step, out var atRung)) Rungs[step] = atRung = [];
            if (atRung.TryAdd(trialId, value) && !asha.Continues(value, atRung.Values))
                return asha.StopReason(step, value, atRung.Values);
        }
        if (Rules?.DiversityCollapse is { } collapse && values.TryGetValue(collapse.Metric, out var diversity))
        {
            if (!Diversity.TryGetValue(trialId, out var seen)) Diversity[trialId] = seen = [];
            if (!seen.TryAdd(step, diversity)) return null;
            var backboneStep = seen.Keys.Min();
            var later = seen.Where(kv => kv.Key != backboneStep).OrderBy(kv => kv.Key).ToList();
            foreach (var old in later.Take(Math.Max(0, later.Count - collapse.Patience))) seen.Remove(old.Key);
            return collapse.StopReason([.. later.TakeLast(collapse.Patience).Select(kv => (kv.Key, kv.Value))], seen[backboneStep]);
        }
        return null;
    }

    /// <summary>What is wrong with <paramref name="rules"/> whatever the trials' length; empty when nothing is.</summary>
    public static IReadOnlyList<string> Problems(EarlyStoppingSpec rules) =>
        [.. (rules.Asha?.Problems(int.MaxValue) ?? []).Select(p => $"asha.{p.Field} {p.Reason}"),
         .. (rules.DiversityCollapse?.Problems() ?? []).Select(p => $"diversityCollapse.{p.Field} {p.Reason}")];
}
