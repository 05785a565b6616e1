using System.Globalization;
using System.Text;

namespace Dsdr.Web.Components.Charts;

/// <summary>Curve smoothing as TensorBoard and W&amp;B do it: an exponential moving average, debiased at the start.</summary>
public static class Smoothing
{
    /// <summary>
    /// s_t = w·s_{t−1} + (1 − w)·v_t with s_0 = 0, reported as s_t / (1 − w^t) (t = 1, 2, …), so the first value is v_1
    /// and an early mean is not pulled towards 0; w = 0 returns the values, non-finite values are kept and skipped.
    /// </summary>
    public static IReadOnlyList<double> Ema(IReadOnlyList<double> values, double weight)
    {
        if (!(weight >= 0 && weight < 1)) throw new ArgumentOutOfRangeException(nameof(weight), weight, "the smoothing weight is in [0, 1)");
        var result = new double[values.Count];
        double s = 0, debias = 1;
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            if (!double.IsFinite(v)) { result[i] = v; continue; }
            s = weight * s + (1 - weight) * v;
            debias *= weight;
            result[i] = s / (1 - debias);
        }
        return result;
    }
}

/// <summary>One colour per arm on every page (Core's <see cref="Dsdr.Core.Results.ArmPalette"/>, shared with the report's figures).</summary>
public static class ArmColours
{
    /// <summary>The colour of a row ("dsdr", "dsdr λ_d=0.1", …): its arm's when the row is the arm, else a stable hash of the row.</summary>
    public static string Of(string row) => Dsdr.Core.Results.ArmPalette.Of(row);
}

/// <summary>A chart's series as CSV: series, x, y, and the band's edges where it has one.</summary>
public static class ChartCsv
{
    public static string Write(IEnumerable<ChartSeries> series, string xName, string yName)
    {
        var text = new StringBuilder();
        text.Append("series,").Append(Field(xName)).Append(',').Append(Field(yName)).Append(",lower,upper,n\n");
        foreach (var s in series)
            foreach (var p in s.Points)
                text.Append(Field(s.Name)).Append(',').Append(N(p.X)).Append(',').Append(N(p.Mean)).Append(',')
                    .Append(s.HasBand ? N(p.Lower) : "").Append(',').Append(s.HasBand ? N(p.Upper) : "").Append(',').Append(p.N).Append('\n');
        return text.ToString();
    }

    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Field(string text) => text.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
}
