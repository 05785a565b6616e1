using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tests.Sweeps;

public class EarlyStoppingSpecTests
{
    private static string WithStopping(string earlyStopping, Action<JsonObject>? more = null) => SpecFixtures.With(n =>
    {
        n["earlyStopping"] = JsonNode.Parse(earlyStopping);
        more?.Invoke(n);
    });

    [Fact]
    public void An_early_stopping_block_parses_and_round_trips()
    {
        var spec = SpecFixtures.Valid(WithStopping("""
            {"asha": {"metric": "eval/countdown/avg@16", "rungs": [50, 100], "reductionFactor": 4, "maximize": true},
             "diversityCollapse": {"metric": "eval/countdown/distinct", "fraction": 0.5, "patience": 3}}
            """));
        var asha = spec.EarlyStopping!.Asha!;
        Assert.Equal(("eval/countdown/avg@16", 4, true), (asha.Metric, asha.ReductionFactor, asha.Maximize));
        Assert.Equal([50, 100], asha.Rungs);
        Assert.Equal(new DiversityCollapseRule("eval/countdown/distinct", 0.5, 3), spec.EarlyStopping.DiversityCollapse);

        var again = SpecFixtures.Valid(SweepSpecWriter.ToJson(spec)).EarlyStopping!;
        Assert.Equal(asha.Rungs, again.Asha!.Rungs);
        Assert.Equal((asha.Metric, asha.ReductionFactor, asha.Maximize), (again.Asha.Metric, again.Asha.ReductionFactor, again.Asha.Maximize));
        Assert.Equal(spec.EarlyStopping.DiversityCollapse, again.DiversityCollapse);

        // defaults: η = 3, maximise; a step metric may sit on any step; entropy needs no step-0 evaluation
        var train = SpecFixtures.Valid(WithStopping("""{"asha": {"metric": "reward/mean", "rungs": [7, 30]}, "diversityCollapse": {"metric": "entropy", "fraction": 0.25}}""",
            n => n["eval"] = JsonNode.Parse("""{"atStart": false}"""))).EarlyStopping!;
        Assert.Equal((3, true), (train.Asha!.ReductionFactor, train.Asha.Maximize));
        Assert.Equal(2, train.DiversityCollapse!.Patience);
        Assert.Null(SpecFixtures.Valid(SpecFixtures.Minimal).EarlyStopping);
    }

    [Theory]
    [InlineData("""{"asha": {"metric": "reward/mean", "rungs": [50, 150]}}""", "$.earlyStopping.asha.rungs[1]", "not below the trials' total steps 150")]
    [InlineData("""{"asha": {"metric": "reward/mean", "rungs": [50, 40]}}""", "$.earlyStopping.asha.rungs[1]", "greater than the rung before it")]
    [InlineData("""{"asha": {"metric": "reward/mean", "rungs": [0]}}""", "$.earlyStopping.asha.rungs[0]", "must be ≥ 1")]
    [InlineData("""{"asha": {"metric": "reward/mean", "rungs": []}}""", "$.earlyStopping.asha.rungs", "is empty")]
    [InlineData("""{"asha": {"metric": "reward/mean"}}""", "$.earlyStopping.asha.rungs", "is required")]
    [InlineData("""{"asha": {"metric": "reward/mean", "rungs": [10], "reductionFactor": 1}}""", "$.earlyStopping.asha.reductionFactor", "must be ≥ 2")]
    [InlineData("""{"asha": {"metric": "eval/countdown/avg@16", "rungs": [40]}}""", "$.earlyStopping.asha.rungs[0]", "not an evaluation step (eval.everySteps = 50)")]
    [InlineData("""{"asha": {"metric": "reward/median", "rungs": [10]}}""", "$.earlyStopping.asha.metric", "unknown metric \"reward/median\"")]
    [InlineData("""{"asha": {"metric": "eval/aime/avg@16", "rungs": [50]}}""", "$.earlyStopping.asha.metric", "which this sweep does not evaluate; use one of countdown")]
    [InlineData("""{"asha": {"metric": "eval/countdown/avg", "rungs": [50]}}""", "$.earlyStopping.asha.metric", "needs its k")]
    [InlineData("""{"asha": {"metric": "eval/countdown/best@4", "rungs": [50]}}""", "$.earlyStopping.asha.metric", "names no evaluation figure \"best\"")]
    [InlineData("""{"asha": {"metric": "reward/mean", "rungs": [10], "eta": 3}}""", "$.earlyStopping.asha.eta", "unknown ASHA property")]
    [InlineData("""{"diversityCollapse": {"metric": "entropy", "fraction": 1.0}}""", "$.earlyStopping.diversityCollapse.fraction", "must be in (0, 1)")]
    [InlineData("""{"diversityCollapse": {"metric": "entropy", "fraction": 0}}""", "$.earlyStopping.diversityCollapse.fraction", "must be in (0, 1)")]
    [InlineData("""{"diversityCollapse": {"metric": "entropy"}}""", "$.earlyStopping.diversityCollapse.fraction", "is required")]
    [InlineData("""{"diversityCollapse": {"metric": "entropy", "fraction": 0.5, "patience": 0}}""", "$.earlyStopping.diversityCollapse.patience", "must be ≥ 1")]
    [InlineData("""{"diversityCollapse": {"metric": "eval/countdown/avg@16", "fraction": 0.5}}""", "$.earlyStopping.diversityCollapse.metric", "does not measure diversity")]
    [InlineData("""{"diversityCollapse": {"metric": "reward/mean", "fraction": 0.5}}""", "$.earlyStopping.diversityCollapse.metric", "unknown diversity metric")]
    [InlineData("""{"diversityCollapse": {"fraction": 0.5}}""", "$.earlyStopping.diversityCollapse.metric", "is required")]
    [InlineData("""{}""", "$.earlyStopping", "names no rule")]
    [InlineData("""{"hyperband": {}}""", "$.earlyStopping.hyperband", "unknown early-stopping rule")]
    [InlineData("""[1]""", "$.earlyStopping", "must be an object")]
    public void Bad_early_stopping_input_names_the_field(string earlyStopping, string path, string reason)
    {
        var result = SweepSpecParser.Parse(WithStopping(earlyStopping));
        Assert.Null(result.Spec);
        Assert.Contains(result.Errors, e => e.Path == path && e.Reason.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void A_rung_is_checked_against_the_shortest_trial_and_a_collapse_on_an_evaluation_needs_the_step_0_one()
    {
        var grid = WithStopping("""{"asha": {"metric": "reward/mean", "rungs": [50, 100]}}""",
            n => n["grid"] = JsonNode.Parse("""{"lambdaD": [0.01], "totalSteps": [100, 300]}"""));
        Assert.Contains(SweepSpecParser.Parse(grid).Errors, e => e.Path == "$.earlyStopping.asha.rungs[1]" && e.Reason.Contains("total steps 100"));

        var noStart = WithStopping("""{"diversityCollapse": {"metric": "eval/countdown/distinct", "fraction": 0.5}}""",
            n => n["eval"] = JsonNode.Parse("""{"atStart": false}"""));
        Assert.Contains(SweepSpecParser.Parse(noStart).Errors, e => e.Path == "$.earlyStopping.diversityCollapse.metric" && e.Reason.Contains("eval.atStart"));
    }

    [Fact]
    public void The_stop_reason_names_the_rung_the_value_and_the_cutoff()
    {
        var rule = new AshaRule("eval/countdown/avg@16", [40]);
        var reason = rule.StopReason(40, 0.31, [0.35, 0.5, 0.31, 0.2, 0.4, 0.1]);
        Assert.StartsWith("stopped by ASHA at rung 40: eval/countdown/avg@16 = 0.31 is not in the top 1/3 of the 6 trials", reason);
        Assert.EndsWith("(its top 1/3 reach 0.4)", reason);
    }
}
