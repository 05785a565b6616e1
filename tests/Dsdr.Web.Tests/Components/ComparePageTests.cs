using Bunit;
using Dsdr.Core.Results;
using Dsdr.Web.Components.Pages;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Dsdr.Web.Tests.Components;

/// <summary>The compare view: trials of two sweeps overlaid, evaluations side by side, the selection in the URL.</summary>
public class ComparePageTests : DashboardContext
{
    private static readonly DateTime At = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    public ComparePageTests()
    {
        foreach (var (sweep, row, trial) in new[] { ("a", "grpo", "a-1"), ("b", "dsdr", "b-1") })
        {
            var item = new TrialListItem(trial, sweep, row, row, 0, "completed", 10, 10, 1, null, null, At, At);
            Platform.Sweeps.Add(new SweepListItem(sweep, sweep, "completed", 1, 0, 0, 1, 0, 0, At, At));
            Platform.SweepDetails[sweep] = new SweepDetails(Platform.Sweeps[^1], "{}", [item], [row], [], []);
            Platform.Trials[trial] = new TrialDetails(item, "{}",
                [new EvalFigure(10, "countdown", "similarity/semantic", null, row == "grpo" ? 0.9921 : 0.9874)], ["reward/mean"], []);
            Platform.Curves.Add(new MetricCurve(trial, row, row, 0, "reward/mean", [new(1, 0.1), new(10, row == "grpo" ? 0.4 : 0.6)], 2));
        }
    }

    [Fact]
    public void Trials_named_in_the_url_are_overlaid_and_tabled()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/compare?trials=a-1,b-1&metric=reward/mean");
        var cut = Render<ComparePage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=compare-chart-legend] li").Count));
        Assert.Equal(["a · grpo · seed 0", "b · dsdr · seed 0"], cut.FindAll("[data-testid=compare-chart-legend] li").Select(l => l.GetAttribute("data-series")));
        var rows = cut.FindAll("[data-testid=compare-row]");
        Assert.Equal(2, rows.Count);
        Assert.Contains("0.992", rows[0].TextContent); // similarities told apart, not both 1.0
        Assert.Contains("0.987", rows[1].TextContent);
    }

    [Fact]
    public void Picking_an_arm_puts_the_selection_in_the_url()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/compare");
        var cut = Render<ComparePage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=compare-arm]").Count));
        var arm = cut.Find("[data-testid=compare-arm][data-sweep=b]");
        (arm.TagName == "INPUT" ? arm : arm.QuerySelector("input[type=checkbox]")!).Change(true);
        cut.WaitForAssertion(() => Assert.EndsWith("/compare?trials=b-1&metric=reward%2Fmean", navigation.Uri)); // the handler is async
        Assert.Equal("/compare?trials=a-1%2Cb-1&metric=reward%2Fmean", ComparePage.Href(["a-1", "b-1"], "reward/mean"));
    }
}
