namespace Dsdr.Web.Components.Charts;

/// <summary>One line of a chart; a band is drawn around it where <see cref="BandPoint.Lower"/> ≠ <see cref="BandPoint.Upper"/>.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<BandPoint> Points, string? Colour = null)
{
    /// <summary>x values whose points are marked (e.g. a difference significant there); empty: none.</summary>
    public IReadOnlyList<double> Marked { get; init; } = [];

    /// <summary>A plain line (no band) through (x, y) points.</summary>
    public static ChartSeries Line(string name, IEnumerable<(double X, double Y)> points, string? colour = null) =>
        new(name, points.Select(p => new BandPoint(p.X, p.Y, p.Y, p.Y, 1)).ToList(), colour);

    public bool HasBand => Points.Any(p => p.Upper != p.Lower);
}

/// <summary>A drawn series: its colour, line path and (possibly empty) band path.</summary>
public sealed record DrawnSeries(string Name, string Colour, string LinePath, string BandPath, int Points);

public sealed record AxisTick(double Position, string Label);

/// <summary>Everything an SVG line chart draws, in pixels of a <see cref="Width"/> × <see cref="Height"/> view box.</summary>
public sealed record LineChartModel(
    double Width, double Height, double Left, double Top, double Right, double Bottom,
    IReadOnlyList<AxisTick> XTicks, IReadOnlyList<AxisTick> YTicks, IReadOnlyList<DrawnSeries> Series)
{
    public const double MarginLeft = 56, MarginRight = 12, MarginTop = 10, MarginBottom = 34;

    public bool IsEmpty => Series.All(s => s.Points == 0);

    /// <summary>
    /// Lays the series out: x and y domains cover every point and band edge, widened to nice ticks (y) or taken as
    /// they are (x, unless <paramref name="xTicks"/> are given); each series gets its colour from the palette by index.
    /// </summary>
    public static LineChartModel Build(IReadOnlyList<ChartSeries> series, double width = 640, double height = 260,
        Func<double, string>? xFormat = null, IReadOnlyList<double>? xTicks = null)
    {
        var all = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Lower) && double.IsFinite(p.Upper)).ToList();
        var (left, right, top, bottom) = (MarginLeft, width - MarginRight, MarginTop, height - MarginBottom);
        if (all.Count == 0)
            return new(width, height, left, top, right, bottom, [], [], series.Select((s, i) => new DrawnSeries(s.Name, s.Colour ?? SeriesColours.At(i), "", "", 0)).ToList());

        var (yMin, yMax, yStep) = Ticks.NiceDomain(all.Min(p => p.Lower), all.Max(p => p.Upper), 5);
        var xMin = all.Min(p => p.X);
        var xMax = all.Max(p => p.X);
        if (xTicks is { Count: > 0 })
        {
            xMin = Math.Min(xMin, xTicks.Min());
            xMax = Math.Max(xMax, xTicks.Max());
        }
        double xStep;
        if (xMax == xMin) { xMin -= 1; xMax += 1; }
        xStep = Ticks.NiceStep(xMax - xMin, 6);

        var x = new LinearScale(xMin, xMax, left, right);
        var y = new LinearScale(yMin, yMax, bottom, top);
        var format = xFormat ?? (v => Ticks.Format(v, xStep));
        var xs = xTicks is { Count: > 0 }
            ? xTicks
            : Ticks.Between(Math.Ceiling(xMin / xStep) * xStep, Math.Floor(xMax / xStep) * xStep, xStep);
        var drawn = series.Select((s, i) =>
        {
            var points = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Mean)).OrderBy(p => p.X).ToList();
            return new DrawnSeries(s.Name, s.Colour ?? SeriesColours.At(i),
                SvgPath.Line(points.Select(p => (p.X, p.Mean)), x, y),
                s.HasBand ? SvgPath.Band(points, x, y) : "",
                points.Count);
        }).ToList();
        return new(width, height, left, top, right, bottom,
            xs.Select(v => new AxisTick(x.Map(v), format(v))).ToList(),
            Ticks.Between(yMin, yMax, yStep).Select(v => new AxisTick(y.Map(v), Ticks.Format(v, yStep))).ToList(),
            drawn);
    }
}
