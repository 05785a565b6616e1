using System.Globalization;
using Plotly.Blazor;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace Dsdr.Web.Components.Charts;

/// <summary>How a chart is shown: smoothing weight, log y, and which x range the user zoomed to (null: all).</summary>
public sealed record ChartView(double Smoothing = 0, bool LogY = false);

/// <summary>
/// Plotly traces for <see cref="ChartSeries"/>: a band (upper edge, then lower edge filled to it), the raw line faint
/// behind a smoothed one, stars on the marked points.
/// </summary>
public static class PlotTraces
{
    public static IList<ITrace> Build(IReadOnlyList<ChartSeries> series, ChartView view, Func<double, string>? xFormat = null)
    {
        var traces = new List<ITrace>();
        foreach (var s in series)
        {
            var points = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Mean)).OrderBy(p => p.X).ToList();
            if (points.Count == 0) continue;
            var colour = s.Colour ?? ArmColours.Of(s.Name);
            var xs = points.Select(p => (object)p.X).ToList();
            var hoverX = xFormat is null ? "%{x}" : "%{customdata[4]}";
            if (s.HasBand)
            {
                traces.Add(new Scatter
                {
                    Name = s.Name + " upper", LegendGroup = s.Name, ShowLegend = false, X = xs, Y = points.Select(p => (object)p.Upper).ToList(),
                    Mode = ModeFlag.Lines, Line = new Line { Width = 0, Color = colour }, HoverInfo = HoverInfoFlag.Skip,
                });
                traces.Add(new Scatter
                {
                    Name = s.Name + " lower", LegendGroup = s.Name, ShowLegend = false, X = xs, Y = points.Select(p => (object)p.Lower).ToList(),
                    Mode = ModeFlag.Lines, Line = new Line { Width = 0, Color = colour }, Fill = FillEnum.ToNextY, FillColor = Translucent(colour, 0.18),
                    HoverInfo = HoverInfoFlag.Skip,
                });
            }
            var values = points.Select(p => p.Mean).ToList();
            var smoothed = view.Smoothing > 0 ? Smoothing.Ema(values, view.Smoothing) : values;
            if (view.Smoothing > 0)
                traces.Add(new Scatter
                {
                    Name = s.Name + " (raw)", LegendGroup = s.Name, ShowLegend = false, X = xs, Y = values.Select(v => (object)v).ToList(),
                    Mode = ModeFlag.Lines, Line = new Line { Width = 1, Color = colour }, Opacity = 0.25m, HoverInfo = HoverInfoFlag.Skip,
                });
            traces.Add(new Scatter
            {
                Name = s.Name, LegendGroup = s.Name, X = xs, Y = smoothed.Select(v => (object)v).ToList(),
                Mode = points.Count == 1 ? ModeFlag.Markers | ModeFlag.Lines : ModeFlag.Lines, Line = new Line { Width = 2, Color = colour },
                // exact values on hover: the raw value, and the band's edges when there is one
                CustomData = points.Select(p => (object)new object[] { p.Mean, p.Lower, p.Upper, p.N, xFormat?.Invoke(p.X) ?? "" }).ToList(),
                HoverTemplate = $"<b>{Escape(s.Name)}</b><br>x {hoverX}<br>y %{{customdata[0]:.6g}}" +
                                (s.HasBand ? "<br>band %{customdata[1]:.6g} – %{customdata[2]:.6g} (n %{customdata[3]})" : "") +
                                (view.Smoothing > 0 ? "<br>smoothed %{y:.6g}" : "") + "<extra></extra>",
            });
            var marked = points.Where(p => s.Marked.Contains(p.X)).ToList();
            if (marked.Count > 0)
                traces.Add(new Scatter
                {
                    Name = s.Name + " (significant)", LegendGroup = s.Name, ShowLegend = false, Mode = ModeFlag.Markers,
                    X = marked.Select(p => (object)p.X).ToList(), Y = marked.Select(p => (object)p.Mean).ToList(),
                    Marker = new Marker { Color = colour, Size = 11, Symbol = Plotly.Blazor.Traces.ScatterLib.MarkerLib.SymbolEnum.Star },
                    HoverTemplate = $"<b>{Escape(s.Name)}</b><br>significant at this x (p < α)<extra></extra>",
                });
        }
        return traces;
    }

    /// <summary>"rgba(r,g,b,a)" of a "#rrggbb" colour.</summary>
    public static string Translucent(string hex, double alpha)
    {
        var rgb = Convert.FromHexString(hex.TrimStart('#'));
        return string.Create(CultureInfo.InvariantCulture, $"rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha})");
    }

    private static string Escape(string text) => text.Replace("<", "&lt;").Replace(">", "&gt;");
}
