using AngleSharp.Dom;
using Bunit;
using Dsdr.Core.Sweeps;
using Dsdr.Web.Components.Pages;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Dsdr.Web.Tests.Components;

public class NewSweepFormTests : DashboardContext
{
    private IRenderedComponent<NewSweep> RenderForm() => Render<NewSweep>();

    private static void Type(IRenderedComponent<NewSweep> cut, string inputId, string text) => cut.Find($"#{inputId}").Input(text);

    private static IElement CheckBox(IRenderedComponent<NewSweep> cut, string testId)
    {
        var element = cut.Find($"[data-testid='{testId}']");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input[type=checkbox]")!;
    }

    private static string Count(IRenderedComponent<NewSweep> cut) => cut.Find("[data-testid=trial-count]").GetAttribute("data-count")!;

    private SweepSpec LastPreviewedSpec() => SweepSpecParser.Parse(Platform.Previewed.Last()).GetSpecOrThrow();

    [Fact]
    public void Default_fields_preview_one_trial_per_arm_and_seed()
    {
        var cut = RenderForm();

        Assert.Equal("2", Count(cut)); // grpo + dsdr, seed 0
        Assert.Equal(2, cut.FindAll("[data-testid=matrix-row]").Count);
        Assert.Empty(cut.FindAll("[data-testid=preview-error]"));
        Assert.False(cut.Find("[data-testid=submit-sweep]").HasAttribute("disabled"));
    }

    [Fact]
    public void The_arm_choices_are_the_registered_arms_in_table_order_with_their_descriptions()
    {
        var cut = RenderForm();
        var boxes = cut.Find("[data-testid=f-arms]").QuerySelectorAll("[data-testid^='arm-']").Select(e => e.GetAttribute("data-testid")).ToList();
        Assert.Equal(ArmPresets.Names.Select(n => $"arm-{n}"), boxes);
        foreach (var arm in ArmPresets.All)
            Assert.Contains(arm.Description, cut.Find("[data-testid=f-arms]").TextContent);
    }

    [Fact]
    public void Fields_become_the_spec_in_cores_format()
    {
        var cut = RenderForm();
        Type(cut, "f-name", "my-ablation");
        Type(cut, "f-lambda-d", "0.01, 0.1");
        Type(cut, "f-tau", "1; 5");
        Type(cut, "f-seeds", "0 1 2");
        Type(cut, "f-steps", "40");
        Type(cut, "f-group", "4");
        CheckBox(cut, "arm-dapo").Change(true);

        // MudCheckBox raises ValueChanged asynchronously: wait for the preview that follows it
        cut.WaitForAssertion(() => Assert.Equal([ArmPresets.Grpo, ArmPresets.Dapo, ArmPresets.Dsdr], LastPreviewedSpec().Arms), TimeSpan.FromSeconds(10));
        var spec = LastPreviewedSpec();
        Assert.Equal("my-ablation", spec.Name);
        Assert.Equal([0, 1, 2], spec.Seeds);
        Assert.Equal(["lambdaD", "tau"], spec.Grid.Select(a => a.Key));
        Assert.Equal([0.01, 0.1], spec.Grid[0].Values.Cast<double>());
        Assert.Equal([1.0, 5.0], spec.Grid[1].Values.Cast<double>());
        Assert.Contains(spec.Base, a => a.Key == "totalSteps" && (int)a.Value! == 40);
        Assert.Contains(spec.Base, a => a.Key == "groupSize" && (int)a.Value! == 4);
        Assert.Contains(spec.Base, a => a.Key == "lambdaL" && (double)a.Value! == 0.01);
        Assert.Equal(ModelPresets.Countdown, spec.Model.Preset);
    }

    [Fact]
    public void Preview_count_follows_the_grid_live_and_pinned_arms_do_not_multiply()
    {
        var cut = RenderForm();
        Type(cut, "f-seeds", "0, 1, 2");
        Assert.Equal("6", Count(cut));

        // GRPO pins λ_d (and τ): only DSDR runs the λ_d grid → grpo 3 + dsdr 2 × 3 = 9
        Type(cut, "f-lambda-d", "0.01, 0.1");
        Assert.Equal("9", Count(cut));
        Assert.Contains("grpo 3 + dsdr 6", cut.Find("[data-testid=trial-breakdown]").TextContent);
        Assert.Contains(cut.FindAll("[data-testid=matrix-row]"), r => r.TextContent.Contains("dsdr λd=0.01"));

        CheckBox(cut, "arm-grpo").Change(false);
        cut.WaitForAssertion(() => Assert.Equal("6", Count(cut)), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Unreadable_field_shows_a_form_error_and_blocks_submit()
    {
        var cut = RenderForm();
        Type(cut, "f-seeds", "0, x");

        var error = Assert.Single(cut.FindAll("[data-testid=preview-error]"));
        Assert.Equal("form:seeds", error.GetAttribute("data-path"));
        Assert.Contains("\"x\" is not a whole number", error.TextContent);
        Assert.Contains("\"x\" is not a whole number", cut.Markup); // also under the field
        Assert.True(cut.Find("[data-testid=submit-sweep]").HasAttribute("disabled"));
    }

    [Fact]
    public void Cores_validation_errors_are_listed_with_their_json_paths_and_shown_under_fields()
    {
        var cut = RenderForm();
        Type(cut, "f-name", "bad name!");
        Type(cut, "f-steps", "0");

        var paths = cut.FindAll("[data-testid=preview-error]").Select(e => e.GetAttribute("data-path")).ToList();
        Assert.Contains("$.name", paths);
        Assert.Contains("$.base.totalSteps", paths);
        Assert.Equal("", Count(cut));
        Assert.True(cut.Find("[data-testid=submit-sweep]").HasAttribute("disabled"));
        // the messages also appear as the fields' error texts (MudBlazor's helper line)
        var nameField = cut.Find("#f-name").Closest(".mud-input-control")!;
        Assert.Contains("name", nameField.TextContent, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(nameField.QuerySelector(".mud-input-error"));
    }

    [Fact]
    public void No_arm_is_an_error_of_the_arms_field()
    {
        var cut = RenderForm();
        CheckBox(cut, "arm-grpo").Change(false);
        CheckBox(cut, "arm-dsdr").Change(false);

        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("[data-testid=preview-error]"), e => e.GetAttribute("data-path")!.StartsWith("$.arms", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
        Assert.Single(cut.FindAll("[data-testid=field-error][data-field=arms]"));
    }

    [Fact]
    public void Submit_sends_the_spec_and_opens_the_sweep()
    {
        var cut = RenderForm();
        Type(cut, "f-name", "submitted-one");
        cut.Find("[data-testid=submit-sweep]").Click();

        var json = Assert.Single(Platform.Submitted);
        Assert.Equal("submitted-one", SweepSpecParser.Parse(json).GetSpecOrThrow().Name);
        var navigation = Services.GetRequiredService<NavigationManager>();
        Assert.EndsWith("/sweeps/submitted-one", navigation.Uri);
    }

    [Fact]
    public void A_conflict_on_submit_is_shown()
    {
        Platform.SubmitFailure = new SweepConflictException("s", "arms differ");
        var cut = RenderForm();
        cut.Find("[data-testid=submit-sweep]").Click();

        Assert.Contains("already exists with a different spec", cut.Find("[data-testid=submit-error]").TextContent);
    }

    [Fact]
    public void Pasted_json_is_previewed_and_its_errors_named_by_path()
    {
        var cut = RenderForm();
        cut.FindAll(".mud-tab").First(t => t.TextContent.Contains("JSON")).Click();

        var textarea = cut.Find("#spec-json");
        Assert.Contains("\"arms\"", textarea.GetAttribute("value") ?? textarea.TextContent); // starts from the form's spec
        textarea.Input("""{"name": "pasted", "task": {"kind": "countdown"}, "model": {"preset": "tiny"}, "arms": ["dsdr"], "seeds": [0, 1, 2, 3]}""");
        Assert.Equal("4", Count(cut));

        cut.Find("#spec-json").Input("""{"name": "pasted", "task": {"kind": "countdown"}, "model": {"preset": "tiny"}, "arms": ["dsdr", "nope"], "seeds": [0]}""");
        var error = Assert.Single(cut.FindAll("[data-testid=preview-error]"));
        Assert.Equal("$.arms[1]", error.GetAttribute("data-path"));
        Assert.Contains("unknown arm", error.TextContent);

        cut.Find("#spec-json").Input("{ not json");
        Assert.Equal("$", Assert.Single(cut.FindAll("[data-testid=preview-error]")).GetAttribute("data-path"));
    }
}
