using Bunit;
using Dsdr.Core.Results;
using Dsdr.Web.Components.Results;

namespace Dsdr.Web.Tests.Components;

public class ResultTableViewTests : DashboardContext
{
    /// <summary>Two rows × (Countdown Pass@1, Countdown distinct); dsdr best on Pass@1.</summary>
    public static ResultTable Table() => new(
        [new("Countdown", new MetricKey(EvalMetrics.Pass1)), new("Countdown", new MetricKey(EvalMetrics.DistinctCorrect))],
        [
            new("grpo", "grpo", [new ResultCell(0.5, 0.1, 3), new ResultCell(1.25, null, 1)]),
            new("dsdr λd=0.1", "dsdr", [new ResultCell(0.625, 0.05, 3), null]),
        ]);

    [Fact]
    public void Cells_show_mean_plus_minus_std_in_percent_for_rates_and_mark_the_best()
    {
        var cut = Render<ResultTableView>(p => p.Add(x => x.Table, Table()));

        var rows = cut.FindAll("[data-testid=result-row]");
        Assert.Equal(["grpo", "dsdr λd=0.1"], rows.Select(r => r.GetAttribute("data-row")));
        var grpo = rows[0].QuerySelectorAll("[data-testid=result-cell]").Select(c => c.TextContent).ToList();
        var dsdr = rows[1].QuerySelectorAll("[data-testid=result-cell]").Select(c => c.TextContent).ToList();
        Assert.Equal(["50.0 ± 10.0", "1.3"], grpo); // a count is not a rate; n = 1 has no std; 1.25 rounds half away from zero
        Assert.Equal(["62.5 ± 5.0", "–"], dsdr);
        Assert.Equal("true", rows[1].QuerySelectorAll("[data-testid=result-cell]")[0].GetAttribute("data-best"));
        Assert.Equal("false", rows[0].QuerySelectorAll("[data-testid=result-cell]")[0].GetAttribute("data-best"));
        Assert.Equal(["Countdown|Pass@1 (%)", "Countdown|distinct"], cut.FindAll("[data-testid=result-column]").Select(c => string.Join("|", c.ChildNodes.Select(n => n.TextContent).Where(t => t.Length > 0))));
    }

    [Theory]
    [InlineData("copy-markdown", "markdown")]
    [InlineData("copy-latex", "latex")]
    [InlineData("copy-csv", "csv")]
    public void Copy_renders_with_cores_renderer_and_writes_the_clipboard(string button, string format)
    {
        var table = Table();
        var cut = Render<ResultTableView>(p => p.Add(x => x.Table, table));

        cut.Find($"[data-testid={button}]").Click();

        var expected = ResultTableRenderer.Render(table, format);
        var output = cut.Find("[data-testid=copy-output]");
        Assert.Equal(format, output.GetAttribute("data-format"));
        Assert.Equal(expected.ReplaceLineEndings("\n"), output.TextContent.ReplaceLineEndings("\n"));
        var call = Assert.Single(JSInterop.Invocations, i => i.Identifier == "navigator.clipboard.writeText");
        Assert.Equal(expected, call.Arguments[0]);
        Assert.Contains("copied", cut.Find("[data-testid=copy-note]").TextContent);
    }

    [Fact]
    public void Markdown_copy_holds_the_table_rows()
    {
        var cut = Render<ResultTableView>(p => p.Add(x => x.Table, Table()));
        cut.Find("[data-testid=copy-markdown]").Click();
        var markdown = cut.Find("[data-testid=copy-output]").TextContent;
        Assert.Contains("| grpo | 50.0 ± 10.0 | **1.3** |", markdown);
        Assert.Contains("| dsdr λd=0.1 | **62.5** ± 5.0 | – |", markdown);
    }

    [Fact]
    public void A_refused_clipboard_still_shows_the_text_to_copy()
    {
        JSInterop.SetupVoid("navigator.clipboard.writeText", _ => true).SetException(new Microsoft.JSInterop.JSException("denied"));
        var cut = Render<ResultTableView>(p => p.Add(x => x.Table, Table()));
        cut.Find("[data-testid=copy-csv]").Click();
        Assert.Contains("refused", cut.Find("[data-testid=copy-note]").TextContent);
        Assert.StartsWith("row,arm,benchmark,metric,k,mean,std,n", cut.Find("[data-testid=copy-output]").TextContent);
    }

    [Fact]
    public void An_empty_table_says_so()
    {
        var cut = Render<ResultTableView>(p => p.Add(x => x.Table, new ResultTable([], [])));
        Assert.Single(cut.FindAll("[data-testid=result-table-empty]"));
        Assert.Empty(cut.FindAll("[data-testid=copy-markdown]"));
    }
}
