using System.Reflection;
using Bunit;
using Dsdr.Web.Components.Pages;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Components;

namespace Dsdr.Web.Tests.Components;

/// <summary>
/// The Razor handlers that call a platform command (Api.SecurityTests.GuardedHandlers lists them): an operator gets the
/// button and its action; anonymous and viewers get no button, and a forged call that reaches the handler anyway (as a
/// tampered circuit could) is refused by the platform's policy check, with nothing done.
/// </summary>
public class RoleTests : DashboardContext
{
    private static readonly DateTime At = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    public RoleTests()
    {
        var sweep = new SweepListItem("s1", "s1", "running", 2, 1, 1, 0, 0, 0, At, At);
        Platform.SweepDetails["s1"] = new SweepDetails(sweep, "{}", [], ["grpo"], [], []);
    }

    /// <summary>Calls a component's private handler directly: what a forged event dispatch would run.</summary>
    private static Task ForgeAsync(IComponent component, string handler) =>
        (Task)component.GetType().GetMethod(handler, BindingFlags.Instance | BindingFlags.NonPublic)!.Invoke(component, [])!;

    [Theory]
    [InlineData("anonymous")]
    [InlineData("viewer")]
    public async Task Without_the_operator_role_there_is_no_submit_button_and_a_forged_submit_is_refused(string who)
    {
        if (who == "anonymous") AsAnonymous(); else AsViewer();
        var cut = Render<NewSweep>();
        Assert.Empty(cut.FindAll("[data-testid=submit-sweep]"));
        Assert.Contains("Only an operator can submit a sweep", cut.Find("[data-testid=operators-only]").TextContent);
        Assert.Equal(who == "anonymous", cut.FindAll("[data-testid=operators-only-sign-in]").Count == 1);

        await cut.InvokeAsync(() => ForgeAsync(cut.Instance, "SubmitAsync"));
        cut.Render();
        Assert.Empty(Platform.Submitted);
        cut.WaitForAssertion(() => Assert.Contains("not an operator", cut.Find("[data-testid=submit-error]").TextContent));
    }

    [Fact]
    public void An_operator_submits()
    {
        var cut = Render<NewSweep>();
        cut.Find("[data-testid=submit-sweep]").Click();
        cut.WaitForAssertion(() => Assert.Single(Platform.Submitted));
    }

    [Theory]
    [InlineData("anonymous")]
    [InlineData("viewer")]
    public async Task Without_the_operator_role_there_is_no_cancel_button_and_a_forged_cancel_is_refused(string who)
    {
        if (who == "anonymous") AsAnonymous(); else AsViewer();
        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "s1"));
        cut.WaitForAssertion(() => Assert.Equal("s1", cut.Find("[data-testid=sweep-name]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=cancel-sweep]"));

        await cut.InvokeAsync(() => ForgeAsync(cut.Instance, "CancelAsync"));
        cut.Render();
        Assert.Empty(Platform.Cancelled);
        cut.WaitForAssertion(() => Assert.Contains("not an operator", cut.Find("[data-testid=cancel-error]").TextContent));
    }

    [Fact]
    public void An_operator_cancels()
    {
        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "s1"));
        cut.WaitForAssertion(() => cut.Find("[data-testid=cancel-sweep]").Click());
        cut.WaitForAssertion(() => Assert.Equal(["s1"], Platform.Cancelled));
    }

    [Fact]
    public void The_app_bar_offers_anonymous_a_sign_in_link()
    {
        AsAnonymous();
        var anonymous = Render<Dsdr.Web.Components.Layout.MainLayout>();
        Assert.StartsWith("/signin?returnUrl=", anonymous.Find("[data-testid=sign-in-link]").GetAttribute("href"));
    }

    [Fact]
    public void The_app_bar_says_who_is_signed_in_with_a_sign_out_form()
    {
        AsViewer("vera");
        var viewer = Render<Dsdr.Web.Components.Layout.MainLayout>();
        Assert.Equal("viewer", viewer.Find("[data-testid=signed-in-as]").GetAttribute("data-role"));
        Assert.Contains("vera", viewer.Find("[data-testid=signed-in-as]").TextContent);
        Assert.Equal("/signout", viewer.Find("[data-testid=signed-in-as] form").GetAttribute("action"));
    }
}
