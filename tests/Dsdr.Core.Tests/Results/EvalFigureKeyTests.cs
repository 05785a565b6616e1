using Dsdr.Core.Results;

namespace Dsdr.Core.Tests.Results;

public sealed class EvalFigureKeyTests
{
    [Theory]
    [InlineData("eval/countdown/pass1", "countdown", "pass1", null)]
    [InlineData("eval/countdown/avg@16", "countdown", "avg", 16)]
    [InlineData("eval/aime24/pass@1", "aime24", "pass", 1)]
    [InlineData("eval/math-500/semanticSimilarity", "math-500", "semanticSimilarity", null)]
    public void Parses_what_it_formats(string name, string benchmark, string metric, int? k)
    {
        Assert.True(EvalFigureKey.TryParseMetricName(name, out var key));
        Assert.Equal(new EvalFigureKey(benchmark, metric, k), key);
        Assert.Equal(new MetricKey(metric, k), key.Figure);
        Assert.Equal(name, key.MetricName);
    }

    [Theory]
    [InlineData("loss")]
    [InlineData("reward/mean")]
    [InlineData("eval/")]
    [InlineData("eval/countdown")]
    [InlineData("eval//pass1")]
    [InlineData("eval/countdown/")]
    [InlineData("eval/countdown/avg@")]
    [InlineData("eval/countdown/avg@0")]
    [InlineData("eval/countdown/avg@-2")]
    [InlineData("eval/countdown/avg@x")]
    [InlineData("eval/countdown/@4")]
    [InlineData("eval/count/down/pass1")]
    [InlineData("Eval/countdown/pass1")]
    public void Refuses_names_that_are_not_eval_figures(string name)
    {
        Assert.False(EvalFigureKey.TryParseMetricName(name, out _));
    }

    [Theory]
    [InlineData("a/b", "pass1", null, "benchmark")]
    [InlineData("", "pass1", null, "benchmark")]
    [InlineData("countdown", "avg@4", null, "metric")]
    [InlineData("countdown", "avg", 0, "k")]
    public void Construction_names_what_is_wrong(string benchmark, string metric, int? k, string parameter)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new EvalFigureKey(benchmark, metric, k));
        Assert.Equal(parameter, error.ParamName);
    }
}
