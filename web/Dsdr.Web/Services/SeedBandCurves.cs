using Dsdr.Core.Statistics;
using Dsdr.Storage.Repositories;

namespace Dsdr.Web.Services;

/// <summary>Seed bands from downsampled metric series: Core's <see cref="SeedBand"/> over the seeds of each (sweep, row).</summary>
public static class SeedBandCurves
{
    /// <summary>
    /// Groups <paramref name="summaries"/> (one read, so they share a bucket width) by the trial's (sweep, row) and, per
    /// group: at width 1 the band at every step some seed has (<see cref="SeedBand.OverSteps"/>); else the band per bucket
    /// over each seed's bucket mean, drawn at the middle of the steps the bucket covers (clipped to the steps the group has).
    /// Groups come in <paramref name="trials"/>' order of first appearance.
    /// </summary>
    public static IReadOnlyList<SeedBandCurve> Build(IReadOnlyList<MetricSummary> summaries, IReadOnlyList<TrialListItem> trials, double level = 0.95)
    {
        var byId = trials.ToDictionary(t => t.TrialId, StringComparer.Ordinal);
        var curves = new List<SeedBandCurve>();
        foreach (var group in summaries.Where(s => byId.ContainsKey(s.TrialId))
                     .GroupBy(s => (byId[s.TrialId].SweepId, byId[s.TrialId].Row))
                     .OrderBy(g => g.Min(s => IndexOf(trials, s.TrialId))))
        {
            var series = group.ToList();
            var first = byId[series[0].TrialId];
            var seeds = series.Select(s => byId[s.TrialId].Seed).Distinct().Order().ToList();
            // one read gives one width; a sparse seed that came back whole next to bucketed ones is bucketed like them
            var width = series.Max(s => s.Width);
            var perSeed = series.Select(s => (IReadOnlyDictionary<int, double>)(s.Width == width
                ? s.Buckets.ToDictionary(b => b.Bucket, b => b.Mean)
                : MetricBuckets.FromLevel(s.Buckets, 1, width).ToDictionary(b => b.Bucket, b => b.Mean))).ToList();
            var lo = series.SelectMany(s => s.Buckets).Min(b => Math.Min(b.MinStep, b.MaxStep));
            var hi = series.SelectMany(s => s.Buckets).Max(b => Math.Max(b.MinStep, b.MaxStep));
            var points = SeedBand.OverSteps(perSeed, level)
                .Select(p => new SeedBandStep(width == 1 ? p.Step : Middle(p.Step, width, lo, hi), p.Mean, p.Low, p.High, p.N)).ToList();
            curves.Add(new SeedBandCurve(group.Key.SweepId, group.Key.Row, first.Arm, seeds, series[0].Name, points, width, series.Sum(s => s.TotalPoints)));
        }
        return curves;
    }

    // the middle of the steps [b·w, b·w + w − 1] ∩ [lo, hi]
    public static double Middle(int bucket, int width, int lo, int hi)
    {
        var from = Math.Max((long)bucket * width, lo);
        var to = Math.Min((long)bucket * width + width - 1, hi);
        return (from + to) / 2.0;
    }

    private static int IndexOf(IReadOnlyList<TrialListItem> trials, string id)
    {
        for (var i = 0; i < trials.Count; i++) if (trials[i].TrialId == id) return i;
        return int.MaxValue;
    }
}
