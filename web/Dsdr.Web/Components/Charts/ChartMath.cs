using System.Globalization;
using Dsdr.Web.Services;

namespace Dsdr.Web.Components.Charts;

/// <summary>Maps a data interval onto a pixel interval (either may be reversed, e.g. SVG's downward y).</summary>
public readonly record struct LinearScale(double DomainMin, double DomainMax, double RangeMin, double RangeMax)
{
    // y = r0 + (x − d0) · (r1 − r0) / (d1 − d0); a degenerate domain maps to the middle of the range
    public double Map(double x) => DomainMax == DomainMin
        ? (RangeMin + RangeMax) / 2
        : RangeMin + (x - DomainMin) * (RangeMax - RangeMin) / (DomainMax - DomainMin);
}

/// <summary>Axis ticks at "nice" steps (1, 2 or 5 × 10ⁿ).</summary>
public static class Ticks
{
    /// <summary>The nice step for a span cut into about <paramref name="count"/> parts: 1, 2, 5 × 10^⌊log10(span/count)⌋.</summary>
    public static double NiceStep(double span, int count)
    {
        if (!(span > 0) || count < 1) return 1;
        var raw = span / count;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / magnitude;
        var nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    /// <summary>The domain widened to whole nice steps: [⌊min/s⌋·s, ⌈max/s⌉·s]; a single value gets a unit-wide domain around it.</summary>
    public static (double Min, double Max, double Step) NiceDomain(double min, double max, int count = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) return (0, 1, 0.2);
        if (max < min) (min, max) = (max, min);
        if (max == min)
        {
            var pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            (min, max) = (min - pad, max + pad);
        }
        var step = NiceStep(max - min, count);
        return (Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, step);
    }

    /// <summary>min, min + s, … up to max (inclusive, rounding noise removed).</summary>
    public static IReadOnlyList<double> Between(double min, double max, double step)
    {
        var ticks = new List<double>();
        if (!(step > 0) || max < min) return ticks;
        var n = (int)Math.Round((max - min) / step);
        for (var i = 0; i <= n && i <= 1000; i++) ticks.Add(Math.Round(min + i * step, 12));
        return ticks;
    }

    /// <summary>Short label: integers without decimals, others with as many decimals as the step needs (at most 4), else scientific.</summary>
    public static string Format(double value, double step)
    {
        if (value == Math.Round(value) && Math.Abs(value) < 1e7) return value.ToString("0", CultureInfo.InvariantCulture);
        var decimals = step > 0 ? Math.Max(0, (int)Math.Ceiling(-Math.Log10(step))) : 2;
        return decimals <= 4
            ? value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)
            : value.ToString("0.##E+0", CultureInfo.InvariantCulture);
    }
}

/// <summary>One x of a band: the seeds' mean there, the band's edges and how many seeds cover x.</summary>
public readonly record struct BandPoint(double X, double Mean, double Lower, double Upper, int N);

/// <summary>Colours of the heat-map: a sequential light-to-dark ramp, darker = better.</summary>
public static class HeatScale
{
    // Stops of a yellow → green → blue ramp (readable, colour-blind safe order).
    private static readonly (double At, byte R, byte G, byte B)[] Stops =
    [
        (0.00, 0xff, 0xff, 0xcc),
        (0.25, 0xc2, 0xe6, 0x99),
        (0.50, 0x78, 0xc6, 0x79),
        (0.75, 0x31, 0xa3, 0x54),
        (1.00, 0x00, 0x68, 0x37),
    ];

    /// <summary>
    /// Position of a value on the ramp: t = (v − min)/(max − min), or 1 − t when lower is better, so t = 1 is always the
    /// best; 0.5 when every value is equal.
    /// </summary>
    public static double Position(double value, double min, double max, bool lowerIsBetter)
    {
        if (!(max > min)) return 0.5;
        var t = Math.Clamp((value - min) / (max - min), 0, 1);
        return lowerIsBetter ? 1 - t : t;
    }

    /// <summary>"#rrggbb" at t ∈ [0, 1]: linear interpolation between the two surrounding stops.</summary>
    public static string Colour(double t)
    {
        t = double.IsFinite(t) ? Math.Clamp(t, 0, 1) : 0;
        for (var i = 1; i < Stops.Length; i++)
        {
            if (t > Stops[i].At) continue;
            var (a, b) = (Stops[i - 1], Stops[i]);
            var u = (t - a.At) / (b.At - a.At);
            return Hex(Lerp(a.R, b.R, u), Lerp(a.G, b.G, u), Lerp(a.B, b.B, u));
        }
        var last = Stops[^1];
        return Hex(last.R, last.G, last.B);
    }

    /// <summary>Text colour that stays readable on <see cref="Colour"/>(t): white on the dark half of the ramp.</summary>
    public static string TextColour(double t) => t > 0.6 ? "#ffffff" : "#1a1a1a";

    private static byte Lerp(byte a, byte b, double u) => (byte)Math.Round(a + (b - a) * u, MidpointRounding.AwayFromZero);

    private static string Hex(byte r, byte g, byte b) => $"#{r:x2}{g:x2}{b:x2}";
}

/// <summary>Colours for series, in order (Tableau 10: Core's <see cref="Dsdr.Core.Results.ArmPalette"/>).</summary>
public static class SeriesColours
{
    public static string At(int index) => Dsdr.Core.Results.ArmPalette.At(index);
}

/// <summary>SVG path data for lines and bands.</summary>
public static class SvgPath
{
    /// <summary>"M x0 y0 L x1 y1 …" through the points in order; empty for no points.</summary>
    public static string Line(IEnumerable<(double X, double Y)> points, LinearScale x, LinearScale y)
    {
        var parts = points.Select((p, i) => $"{(i == 0 ? "M" : "L")}{N(x.Map(p.X))},{N(y.Map(p.Y))}").ToList();
        return string.Join(" ", parts);
    }

    /// <summary>A closed polygon: along the upper edge left to right, back along the lower edge right to left.</summary>
    public static string Band(IReadOnlyList<BandPoint> band, LinearScale x, LinearScale y)
    {
        if (band.Count == 0) return "";
        var upper = band.Select(p => (p.X, p.Upper));
        var lower = band.Reverse().Select(p => (p.X, p.Lower));
        return Line(upper.Concat(lower), x, y) + " Z";
    }

    public static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
