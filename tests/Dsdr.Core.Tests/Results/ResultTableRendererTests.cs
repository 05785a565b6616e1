using Dsdr.Core.Results;

namespace Dsdr.Core.Tests.Results;

public class ResultTableRendererTests
{
    /// <summary>Hand-made table: a tie for best in column 0, an empty cell, a non-rate metric and a label full of specials.</summary>
    private static ResultTable Table() => new(
        [new("A", new MetricKey("pass1")), new("A", new MetricKey("avg", 16)), new("B", new MetricKey("distinct"))],
        [
            new("grpo", "grpo", [new(0.25, 0.05, 3), new(0.5, null, 1), new(1.25, 0.25, 3)]),
            new("dsdr λd=0.01 τ=5", "dsdr", [new(0.375, 0.125, 3), null, new(1.5, 0.5, 2)]),
            new("x_y & \"z%\", w", "custom", [new(0.375, null, 1), new(0.25, 0.0, 2), new(1.0, null, 1)]),
        ]);

    [Fact]
    public void Json_golden()
    {
        const string expected =
            "{\"columns\":[{\"benchmark\":\"A\",\"metric\":\"pass1\",\"k\":null,\"label\":\"A Pass@1\"},"
            + "{\"benchmark\":\"A\",\"metric\":\"avg\",\"k\":16,\"label\":\"A Avg@16\"},"
            + "{\"benchmark\":\"B\",\"metric\":\"distinct\",\"k\":null,\"label\":\"B distinct\"}],"
            + "\"rows\":[{\"row\":\"grpo\",\"arm\":\"grpo\",\"cells\":[{\"mean\":0.25,\"std\":0.05,\"n\":3,\"ciLow\":null,\"ciHigh\":null},{\"mean\":0.5,\"std\":null,\"n\":1,\"ciLow\":null,\"ciHigh\":null},{\"mean\":1.25,\"std\":0.25,\"n\":3,\"ciLow\":null,\"ciHigh\":null}]},"
            + "{\"row\":\"dsdr λd=0.01 τ=5\",\"arm\":\"dsdr\",\"cells\":[{\"mean\":0.375,\"std\":0.125,\"n\":3,\"ciLow\":null,\"ciHigh\":null},null,{\"mean\":1.5,\"std\":0.5,\"n\":2,\"ciLow\":null,\"ciHigh\":null}]},"
            + "{\"row\":\"x_y & \\\"z%\\\", w\",\"arm\":\"custom\",\"cells\":[{\"mean\":0.375,\"std\":null,\"n\":1,\"ciLow\":null,\"ciHigh\":null},{\"mean\":0.25,\"std\":0,\"n\":2,\"ciLow\":null,\"ciHigh\":null},{\"mean\":1,\"std\":null,\"n\":1,\"ciLow\":null,\"ciHigh\":null}]}],\"statistics\":null}";
        Assert.Equal(expected, ResultTableRenderer.ToJson(Table()));
    }

    [Fact]
    public void Csv_golden()
    {
        const string expected =
            "row,arm,benchmark,metric,k,mean,std,n\r\n"
            + "grpo,grpo,A,pass1,,0.25,0.05,3\r\n"
            + "grpo,grpo,A,avg,16,0.5,,1\r\n"
            + "grpo,grpo,B,distinct,,1.25,0.25,3\r\n"
            + "dsdr λd=0.01 τ=5,dsdr,A,pass1,,0.375,0.125,3\r\n"
            + "dsdr λd=0.01 τ=5,dsdr,B,distinct,,1.5,0.5,2\r\n"
            + "\"x_y & \"\"z%\"\", w\",custom,A,pass1,,0.375,,1\r\n"
            + "\"x_y & \"\"z%\"\", w\",custom,A,avg,16,0.25,0,2\r\n"
            + "\"x_y & \"\"z%\"\", w\",custom,B,distinct,,1,,1\r\n";
        Assert.Equal(expected, ResultTableRenderer.ToCsv(Table()));
    }

    [Fact]
    public void Markdown_golden()
    {
        const string expected = """
            | Row | A Pass@1 | A Avg@16 | B distinct |
            | --- | ---: | ---: | ---: |
            | grpo | 25.0 ± 5.0 | **50.0** | 1.3 ± 0.3 |
            | dsdr λd=0.01 τ=5 | **37.5** ± 12.5 | – | **1.5** ± 0.5 |
            | x\_y & "z%", w | **37.5** | 25.0 ± 0.0 | 1.0 |

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), ResultTableRenderer.ToMarkdown(Table()));
    }

    [Fact]
    public void Latex_golden()
    {
        const string expected = """
            \begin{tabular}{lrrr}
            \toprule
             & \multicolumn{2}{c}{A} & \multicolumn{1}{c}{B} \\
            \cmidrule(lr){2-3} \cmidrule(lr){4-4}
            Row & Pass@1 & Avg@16 & distinct \\
            \midrule
            grpo & 25.0 $\pm$ 5.0 & \textbf{50.0} & 1.3 $\pm$ 0.3 \\
            dsdr $\lambda$d=0.01 $\tau$=5 & \textbf{37.5} $\pm$ 12.5 & -- & \textbf{1.5} $\pm$ 0.5 \\
            x\_y \& "z\%", w & \textbf{37.5} & 25.0 $\pm$ 0.0 & 1.0 \\
            \bottomrule
            \end{tabular}

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), ResultTableRenderer.ToLatex(Table()));
    }

    [Fact]
    public void Format_controls_decimals_and_percent()
    {
        var md = ResultTableRenderer.ToMarkdown(Table(), new ResultFormat(Decimals: 3, Percent: false));
        Assert.Contains("| grpo | 0.250 ± 0.050 | **0.500** | 1.250 ± 0.250 |", md);
    }

    [Fact]
    public void Lower_is_better_metrics_bold_the_minimum()
    {
        var table = new ResultTable([new("A", new MetricKey(EvalMetrics.SemanticSimilarity))],
            [new("grpo", "grpo", [new(0.8, null, 1)]), new("dsdr", "dsdr", [new(0.6, null, 1)])]);
        Assert.Equal([1], table.BestRows(0));
        Assert.Contains("| dsdr | **0.6** |", ResultTableRenderer.ToMarkdown(table));
    }

    [Fact]
    public void Latex_escapes_every_special()
    {
        Assert.Equal(@"\& \% \$ \# \_ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{} $\sigma$",
            ResultTableRenderer.LatexEscape(@"& % $ # _ { } ~ ^ \ σ"));
    }

    [Fact]
    public void Render_by_name_and_unknown_format()
    {
        var table = Table();
        Assert.Equal(ResultTableRenderer.ToCsv(table), ResultTableRenderer.Render(table, "csv"));
        Assert.Equal(ResultTableRenderer.ToLatex(table), ResultTableRenderer.Render(table, "latex"));
        Assert.Equal(ResultTableRenderer.ToMarkdown(table), ResultTableRenderer.Render(table, "markdown"));
        Assert.Equal(ResultTableRenderer.ToJson(table), ResultTableRenderer.Render(table, "json"));
        var ex = Assert.Throws<ArgumentException>(() => ResultTableRenderer.Render(table, "xlsx"));
        Assert.Contains("unknown result format \"xlsx\"; use one of json, csv, markdown, latex", ex.Message);
    }

    [Fact]
    public void Built_table_renders_end_to_end()
    {
        var records = new[]
        {
            new TrialEvalRecord("a", "grpo", "grpo", 0, 100, "countdown", "avg", 16, 0.40),
            new TrialEvalRecord("b", "grpo", "grpo", 1, 100, "countdown", "avg", 16, 0.42),
            new TrialEvalRecord("c", "dsdr", "dsdr", 0, 100, "countdown", "avg", 16, 0.41),
            new TrialEvalRecord("d", "dsdr", "dsdr", 1, 100, "countdown", "avg", 16, 0.45),
        };
        var md = ResultTableRenderer.ToMarkdown(ResultTableBuilder.Build(records));
        Assert.Equal("| Row | countdown Avg@16 |\n| --- | ---: |\n| grpo | 41.0 ± 1.4 |\n| dsdr | **43.0** ± 2.8 |\n", md);
    }
}
