using Dsdr.Core.Sweeps;
using Dsdr.Web.Components.Forms;

namespace Dsdr.Web.Tests.Components;

public class SweepFormTests
{
    [Fact]
    public void Single_values_go_to_base_and_lists_to_the_grid()
    {
        var form = new SweepForm { Name = "s", LambdaD = "0.001, 0.01", LambdaL = "0.01", Tau = "1 5 10", Seeds = "0,1" };
        var built = form.Build();
        Assert.Empty(built.Errors);

        var spec = SweepSpecParser.Parse(built.Json).GetSpecOrThrow();
        Assert.Equal(["lambdaD", "tau"], spec.Grid.Select(a => a.Key));
        Assert.Equal([1.0, 5.0, 10.0], spec.Grid[1].Values.Cast<double>());
        Assert.Contains(spec.Base, a => a.Key == "lambdaL");
        Assert.DoesNotContain(spec.Base, a => a.Key == "lambdaD");
        // 2 arms: grpo pins λ_d and τ (1 point), dsdr 2 × 3 points; × 2 seeds
        Assert.Equal(14, SweepExpander.Expand(spec).Count);
    }

    [Fact]
    public void Empty_optional_fields_keep_cores_defaults()
    {
        var form = new SweepForm { Name = "s", PromptsPerStep = "", GroupSize = " ", EvalEvery = "" };
        var spec = SweepSpecParser.Parse(form.Build().Json).GetSpecOrThrow();
        Assert.DoesNotContain(spec.Base, a => a.Key is "promptsPerStep" or "groupSize");
        Assert.Equal(new EvalSpec().EverySteps, spec.Eval.EverySteps);
    }

    [Fact]
    public void Task_kinds_write_their_own_fields()
    {
        var arith = SweepSpecParser.Parse(new SweepForm { Name = "a", TaskKind = "arith", Operands = "3" }.Build().Json).GetSpecOrThrow();
        Assert.Equal(TaskKind.Arith, arith.Task.Kind);
        Assert.Equal(3, arith.Task.Operands);

        var math = new SweepForm { Name = "m", TaskKind = "math", TrainPath = "/d/train.jsonl", Benchmarks = "AIME=/d/aime.jsonl\n\nMATH500 = /d/m.jsonl", Checkpoint = "/models/q" };
        var spec = SweepSpecParser.Parse(math.Build().Json).GetSpecOrThrow();
        Assert.Equal(["AIME", "MATH500"], spec.Task.Benchmarks.Select(b => b.Name));
        Assert.Equal("/models/q", spec.Model.Checkpoint);
        Assert.Null(spec.Model.Preset);
    }

    [Fact]
    public void Unreadable_values_are_form_errors_naming_the_field_and_the_text()
    {
        var built = new SweepForm { Name = "s", LambdaD = "0.1, abc", Seeds = "1.5", TotalSteps = "many", TaskKind = "math", Benchmarks = "no-equals-sign" }.Build();
        Assert.Equal(
        [
            new FormError(SweepForm.FieldBenchmarks, "line 1 \"no-equals-sign\": write NAME=/path/to/benchmark.jsonl"),
            new FormError(SweepForm.FieldTotalSteps, "\"many\" is not a whole number"),
            new FormError(SweepForm.FieldLambdaD, "\"abc\" is not a number"),
            new FormError(SweepForm.FieldSeeds, "\"1.5\" is not a whole number"),
        ], built.Errors);
    }

    [Theory]
    [InlineData("$.name", SweepForm.FieldName)]
    [InlineData("$.arms[2]", SweepForm.FieldArms)]
    [InlineData("$.grid.lambdaD[1]", SweepForm.FieldLambdaD)]
    [InlineData("$.base.tau", SweepForm.FieldTau)]
    [InlineData("$.base.totalSteps", SweepForm.FieldTotalSteps)]
    [InlineData("$.task.numbers", SweepForm.FieldNumbers)]
    [InlineData("$.task.kind", SweepForm.FieldTask)]
    [InlineData("$.model.checkpoint", SweepForm.FieldCheckpoint)]
    [InlineData("$.seeds[0]", SweepForm.FieldSeeds)]
    [InlineData("$.eval.everySteps", SweepForm.FieldEvalEvery)]
    [InlineData("$.names", null)]
    [InlineData("$", null)]
    public void Core_errors_map_to_the_field_that_made_them(string path, string? field) =>
        Assert.Equal(field, SweepForm.FieldOf(new SpecError(path, "reason")));
}
