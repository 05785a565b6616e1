namespace Dsdr.Core.Reports;

/// <summary>One point of a trial's curve over training (or evaluation) steps.</summary>
public readonly record struct StepValue(int Step, double Value);

/// <summary>One trial's curve of one metric (its points in any order).</summary>
public sealed record TrialCurve(string TrialId, string Name, IReadOnlyList<StepValue> Points);

/// <summary>Per-seed summaries of curves: the late-training value the entropy claim compares, and step windows for drawing bands.</summary>
public static class SeedCurves
{
    /// <summary>The default late window: the last 10 % of a trial's steps.</summary>
    public const double DefaultLateWindow = 0.1;

    // ē = mean{ v_s : s > S − max(1, ⌈f·S⌉) },  S the curve's last step (f = 0.1: the last 10 % of steps, at least the last step)
    public static double? LateMean(IReadOnlyList<StepValue> points, double fraction = DefaultLateWindow)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (!(fraction is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The late window is a fraction of the steps in (0, 1], e.g. 0.1.");
        if (points.Count == 0) return null;
        var last = points.Max(p => p.Step);
        var from = last - Math.Max(1, (int)Math.Ceiling(fraction * last));
        return points.Where(p => p.Step > from).Average(p => p.Value);
    }

    // w = max(1, ⌈S_max / P⌉): at most P windows over steps 0 … S_max
    public static int BinWidth(int maxStep, int maxPoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 1);
        return Math.Max(1, (int)Math.Ceiling(Math.Max(0, maxStep) / (double)maxPoints));
    }

    // b(s) = ⌈s / w⌉ · w (the window's last step); the window's value is the mean of the curve's points in it
    public static IReadOnlyDictionary<int, double> Binned(IReadOnlyList<StepValue> points, int width)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        return points.GroupBy(p => (int)Math.Ceiling(p.Step / (double)width) * width)
            .ToDictionary(g => g.Key, g => g.Average(p => p.Value));
    }
}
