using Bunit;
using Dsdr.Core.Results;
using Dsdr.Web.Components.Charts;
using Dsdr.Web.Components.Results;

namespace Dsdr.Web.Tests.Components;

public class HeatMapTests : DashboardContext
{
    private static readonly MetricKey Pass1 = new(EvalMetrics.Pass1);
    private static readonly MetricKey Semantic = new(EvalMetrics.SemanticSimilarity);

    /// <summary>Rows grpo, dsdr × benchmarks A, B, Avg for Pass@1 and semantic similarity.</summary>
    private static ResultTable Table() => new(
        [
            new("A", Pass1), new("A", Semantic), new("B", Pass1), new("B", Semantic), new("Avg", Pass1), new("Avg", Semantic),
        ],
        [
            new("grpo", "grpo", [new(0.2, 0.02, 2), new(0.9, null, 2), new(0.4, 0.1, 2), new(0.8, null, 2), new(0.3, 0.05, 2), new(0.85, null, 2)]),
            new("dsdr", "dsdr", [new(0.6, 0.05, 2), new(0.5, null, 2), null, new(0.6, null, 2), new(0.6, 0.05, 2), new(0.55, null, 2)]),
        ]);

    private static IReadOnlyList<AngleSharp.Dom.IElement> Cells(IRenderedComponent<HeatMap> cut) => cut.FindAll("[data-testid=heat-cell]");

    [Fact]
    public void Matrix_is_rows_by_benchmarks_of_the_chosen_metric()
    {
        var cut = Render<HeatMap>(p => p.Add(x => x.Table, Table()).Add(x => x.Metric, Pass1));

        Assert.Equal(["Row", "A", "B", "Avg"], cut.FindAll("thead th").Select(h => h.TextContent));
        var cells = Cells(cut);
        Assert.Equal(6, cells.Count);
        Assert.Equal(["20.0 ± 2.0", "40.0 ± 10.0", "30.0 ± 5.0", "60.0 ± 5.0", "–", "60.0 ± 5.0"], cells.Select(c => c.TextContent));
        Assert.Equal(["grpo", "grpo", "grpo", "dsdr", "dsdr", "dsdr"], cells.Select(c => c.GetAttribute("data-row")));
    }

    [Fact]
    public void Colours_span_the_ramp_from_the_worst_to_the_best_cell()
    {
        var cut = Render<HeatMap>(p => p.Add(x => x.Table, Table()).Add(x => x.Metric, Pass1));
        var cells = Cells(cut);

        // min 0.2 (grpo A) is the ramp's start, max 0.6 the end; 0.4 is half-way
        Assert.Equal("0", cells[0].GetAttribute("data-position"));
        Assert.Contains($"background:{HeatScale.Colour(0)}", cells[0].GetAttribute("style"));
        Assert.Equal("1", cells[3].GetAttribute("data-position"));
        Assert.Contains($"background:{HeatScale.Colour(1)}", cells[3].GetAttribute("style"));
        Assert.Contains("color:#ffffff", cells[3].GetAttribute("style")); // white text on the dark end
        Assert.Equal("0.5", cells[1].GetAttribute("data-position"));
        Assert.Equal("", cells[4].GetAttribute("data-position"));
        Assert.Contains($"background:{HeatMapModel.EmptyBackground}", cells[4].GetAttribute("style"));
    }

    [Fact]
    public void Lower_is_better_metrics_put_the_lowest_mean_at_the_dark_end()
    {
        var cut = Render<HeatMap>(p => p.Add(x => x.Table, Table()).Add(x => x.Metric, Semantic));
        var cells = Cells(cut);

        Assert.Equal(["0.9", "0.8", "0.9", "0.5", "0.6", "0.6"], cells.Select(c => c.TextContent)); // not a rate: no percent
        Assert.Equal("0", cells[0].GetAttribute("data-position")); // 0.9, the most similar, is worst
        Assert.Equal("1", cells[3].GetAttribute("data-position")); // 0.5 is best
        Assert.Contains("better", cut.Find("[data-testid=heatmap-legend]").TextContent);
    }

    [Fact]
    public void A_metric_without_columns_renders_the_empty_note()
    {
        var cut = Render<HeatMap>(p => p.Add(x => x.Table, Table()).Add(x => x.Metric, new MetricKey(EvalMetrics.AvgAtK, 16)));
        Assert.Single(cut.FindAll("[data-testid=heatmap-empty]"));
    }
}
