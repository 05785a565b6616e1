using System.Globalization;
using Dsdr.Web.Services;

namespace Dsdr.Web.Components.Charts;

/// <summary>The pool's utilisation history as chart series; x is Unix time in seconds.</summary>
public static class PoolCharts
{
    /// <summary>Three lines over time: slots online, slots busy, trials queued (samples in time order).</summary>
    public static IReadOnlyList<ChartSeries> History(IEnumerable<UtilisationSample> samples)
    {
        var ordered = samples.OrderBy(s => s.At).ToList();
        if (ordered.Count == 0) return [];
        static double X(UtilisationSample s) => s.At.ToUnixTimeMilliseconds() / 1000.0;
        return
        [
            ChartSeries.Line("online", ordered.Select(s => (X(s), (double)s.Online)), SeriesColours.At(0)),
            ChartSeries.Line("busy", ordered.Select(s => (X(s), (double)s.Busy)), SeriesColours.At(4)),
            ChartSeries.Line("queued", ordered.Select(s => (X(s), (double)s.Queued)), SeriesColours.At(1)),
        ];
    }

    /// <summary>"HH:mm:ss" (UTC) of a Unix time in seconds.</summary>
    public static string ClockLabel(double unixSeconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(unixSeconds * 1000)).ToString("HH:mm:ss", CultureInfo.InvariantCulture);
}
