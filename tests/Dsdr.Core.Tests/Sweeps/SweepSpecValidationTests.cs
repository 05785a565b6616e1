using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Sweeps;

/// <summary>Every validation error: each malformed spec must be rejected with the exact path and a fix-it reason.</summary>
public class SweepSpecValidationTests
{
    public sealed record Case(string Name, string Json, string Path, string Reason)
    {
        public override string ToString() => Name;
    }

    private static JsonNode N(string json) => JsonNode.Parse(json)!;

    public static readonly Case[] Cases =
    [
        new("malformed json", "{\n  \"name\": \"t\"\n  \"task\": {}\n}", "$", "malformed JSON at line 3"),
        new("truncated json", "{\"name\": \"t\",", "$", "malformed JSON at line 1"),
        new("empty document", "", "$", "malformed JSON"),
        new("root not object", "[1, 2]", "$", "must be a JSON object"),
        new("missing name", With(o => o.Remove("name")), "$.name", "is required"),
        new("name wrong type", With(o => o["name"] = 5), "$.name", "must be a non-empty string"),
        new("name bad characters", With(o => o["name"] = "my sweep!"), "$.name", "not a valid sweep name"),
        new("unknown top-level property", With(o => o["owner"] = "me"), "$.owner", "unknown top-level property \"owner\""),
        new("top-level typo suggests", With(o => o["seed"] = 1), "$.seed", "did you mean \"seeds\"?"),
        new("duplicate property", "{\"name\":\"t\",\"name\":\"u\",\"task\":{\"kind\":\"countdown\"},\"model\":{\"preset\":\"small\"},\"arms\":[\"dsdr\"],\"seeds\":[0]}",
            "$.name", "appears twice"),
        new("missing task", With(o => o.Remove("task")), "$.task", "is required"),
        new("task wrong type", With(o => o["task"] = "countdown"), "$.task", "must be an object"),
        new("task kind missing", With(o => o["task"] = N("{\"numbers\":3}")), "$.task.kind", "is required: give one of countdown, arith, math"),
        new("unknown task kind", With(o => o["task"] = N("{\"kind\":\"sudoku\"}")), "$.task.kind", "unknown task kind \"sudoku\"; use one of countdown, arith, math"),
        new("countdown numbers", With(o => o["task"] = N("{\"kind\":\"countdown\",\"numbers\":5}")), "$.task.numbers", "must be 3 or 4"),
        new("range min above max", With(o => o["task"] = N("{\"kind\":\"countdown\",\"numberRange\":{\"min\":30,\"max\":20}}")),
            "$.task.numberRange", "min (30) is greater than max (20)"),
        new("range below minimum", With(o => o["task"] = N("{\"kind\":\"countdown\",\"targetRange\":{\"min\":0,\"max\":20}}")),
            "$.task.targetRange.min", "must be between 1 and 1000000, got 0"),
        new("range missing bound", With(o => o["task"] = N("{\"kind\":\"arith\",\"numberRange\":{\"min\":1}}")),
            "$.task.numberRange.max", "needs both \"min\" and \"max\""),
        new("range wrong type", With(o => o["task"] = N("{\"kind\":\"countdown\",\"numberRange\":[1,20]}")),
            "$.task.numberRange", "must be an object {\"min\": a, \"max\": b}"),
        new("unknown countdown targets", With(o => o["task"] = N("{\"kind\":\"countdown\",\"targets\":\"random\"}")),
            "$.task.targets", "unknown target choice \"random\"; use one of uniform, byExpressions"),
        new("countdown min solutions", With(o => o["task"] = N("{\"kind\":\"countdown\",\"minSolutions\":0}")), "$.task.minSolutions", "must be between 1 and 100"),
        new("targets of arith", With(o => o["task"] = N("{\"kind\":\"arith\",\"targets\":\"uniform\"}")),
            "$.task.targets", "does not apply to task kind \"arith\" (it belongs to countdown)"),
        new("train size zero", With(o => o["task"] = N("{\"kind\":\"countdown\",\"trainSize\":0}")), "$.task.trainSize", "must be between 1 and"),
        new("arith operands", With(o => o["task"] = N("{\"kind\":\"arith\",\"operands\":1}")), "$.task.operands", "must be between 2 and 8"),
        new("property of another kind", With(o => o["task"] = N("{\"kind\":\"countdown\",\"trainPath\":\"/x\"}")),
            "$.task.trainPath", "does not apply to task kind \"countdown\" (it belongs to math)"),
        new("math without benchmarks", With(o => o["task"] = N("{\"kind\":\"math\",\"trainPath\":\"/x\"}")), "$.task.benchmarks", "is required for math tasks"),
        new("math without train path", With(o => o["task"] = N("{\"kind\":\"math\",\"benchmarks\":[{\"name\":\"A\",\"path\":\"/a\"}]}")),
            "$.task.trainPath", "is required"),
        new("math duplicate benchmark", With(o => o["task"] = N("{\"kind\":\"math\",\"trainPath\":\"/x\",\"benchmarks\":[{\"name\":\"A\",\"path\":\"/a\"},{\"name\":\"A\",\"path\":\"/b\"}]}")),
            "$.task.benchmarks[1].name", "duplicate benchmark name \"A\""),
        new("missing model", With(o => o.Remove("model")), "$.model", "is required"),
        new("model preset and checkpoint", With(o => o["model"] = N("{\"preset\":\"small\",\"checkpoint\":\"/m\"}")), "$.model", "not both"),
        new("model neither", With(o => o["model"] = N("{}")), "$.model", "needs \"preset\""),
        new("unknown model preset", With(o => o["model"] = N("{\"preset\":\"huge\"}")), "$.model.preset", "unknown model preset \"huge\"; use one of countdown, countdown-wide, tiny, small"),
        new("sft steps", With(o => o["model"] = N("{\"preset\":\"small\",\"sft\":{\"steps\":0}}")), "$.model.sft.steps", "must be ≥ 1, got 0"),
        new("chat template unknown", With(o => o["model"] = N("{\"checkpoint\":\"/m\",\"sft\":{\"enabled\":false},\"chatTemplate\":\"chatml\"}")),
            "$.model.chatTemplate", "unknown value \"chatml\"; use \"auto\" or \"none\""),
        new("enable thinking wrong type", With(o => o["model"] = N("{\"checkpoint\":\"/m\",\"sft\":{\"enabled\":false},\"enableThinking\":\"yes\"}")),
            "$.model.enableThinking", "must be true or false"),
        new("instruction empty", With(o => o["model"] = N("{\"checkpoint\":\"/m\",\"sft\":{\"enabled\":false},\"instruction\":\" \"}")),
            "$.model.instruction", "must be a non-empty text put after each math problem"),
        new("instruction too long", With(o => o["model"] = N("{\"checkpoint\":\"/m\",\"sft\":{\"enabled\":false},\"instruction\":\"" + new string('x', 2001) + "\"}")),
            "$.model.instruction", "is 2001 characters; keep it to 2000"),
        new("instruction on a preset", With(o => o["model"] = N("{\"preset\":\"small\",\"instruction\":\"Box it.\"}")),
            "$.model.instruction", "applies to a checkpoint's chat template only"),
        new("base wrong type", With(o => o["base"] = N("[1]")), "$.base", "must be an object of hyper-parameter overrides"),
        new("base unknown key", With(o => o["base"] = N("{\"lamdaD\":0.1}")), "$.base.lamdaD", "unknown hyper-parameter \"lamdaD\"; did you mean \"lambdaD\"?"),
        new("negative lambdaD", With(o => o["base"] = N("{\"lambdaD\":-0.1}")), "$.base.lambdaD", "must be ≥ 0, got -0.1"),
        new("negative lambdaL", With(o => o["base"] = N("{\"lambdaL\":-1}")), "$.base.lambdaL", "must be ≥ 0"),
        new("negative tau", With(o => o["base"] = N("{\"tau\":-5}")), "$.base.tau", "must be ≥ 0, got -5"),
        new("sigmaD zero", With(o => o["base"] = N("{\"sigmaD\":0}")), "$.base.sigmaD", "must be in (0, 1], got 0"),
        new("sigmaD above one", With(o => o["base"] = N("{\"sigmaD\":1.5}")), "$.base.sigmaD", "must be in (0, 1], got 1.5"),
        new("group size one", With(o => o["base"] = N("{\"groupSize\":1}")), "$.base.groupSize", "must be ≥ 2 (a group of one has no advantage signal), got 1"),
        new("number as string", With(o => o["base"] = N("{\"learningRate\":\"1e-4\"}")), "$.base.learningRate", "must be a number, got the string \"1e-4\""),
        new("fractional integer", With(o => o["base"] = N("{\"promptsPerStep\":2.5}")), "$.base.promptsPerStep", "must be a whole number, got the number 2.5"),
        new("boolean as string", With(o => o["base"] = N("{\"stdNormalize\":\"yes\"}")), "$.base.stdNormalize", "must be true or false"),
        new("unknown loss aggregation", With(o => o["base"] = N("{\"lossAggregation\":\"mean\"}")), "$.base.lossAggregation",
            "must be one of \"token-mean\", \"seq-mean-token-mean\", \"seq-mean-token-sum\""),
        new("unknown kl estimator", With(o => o["base"] = N("{\"klEstimator\":\"k4\"}")), "$.base.klEstimator", "must be one of \"k1\", \"k2\", \"k3\""),
        new("dual clip at most one", With(o => o["base"] = N("{\"dualClip\":0.5}")), "$.base.dualClip", "must be > 1, or null"),
        new("clip low out of range", With(o => o["base"] = N("{\"clipLow\":1.2}")), "$.base.clipLow", "must be in (0, 1)"),
        new("seed in base", With(o => o["base"] = N("{\"seed\":3}")), "$.base.seed", "list seeds there instead"),
        new("missing arms", With(o => o.Remove("arms")), "$.arms", "is required"),
        new("empty arms", With(o => o["arms"] = N("[]")), "$.arms", $"must be a non-empty array of arm names from {string.Join(", ", ArmPresets.Names)}, got an empty array"),
        new("arms wrong type", With(o => o["arms"] = "dsdr"), "$.arms", "must be a non-empty array"),
        new("unknown arm", With(o => o["arms"] = N("[\"dsdr\",\"ppo\"]")), "$.arms[1]", $"unknown arm \"ppo\"; use one of {string.Join(", ", ArmPresets.Names)}"),
        new("arm typo suggests", With(o => o["arms"] = N("[\"dsdr-no-dg\"]")), "$.arms[0]", "did you mean \"dsdr-no-gd\"?"),
        new("arm not a string", With(o => o["arms"] = N("[1]")), "$.arms[0]", "must be an arm name (a string)"),
        new("duplicate arm", With(o => o["arms"] = N("[\"dsdr\",\"grpo\",\"dsdr\"]")), "$.arms[2]", "duplicate arm \"dsdr\" (also at [0])"),
        new("grid wrong type", With(o => o["grid"] = N("[1]")), "$.grid", "must be an object mapping hyper-parameter names"),
        new("grid unknown key", With(o => o["grid"] = N("{\"lambda\":[1]}")), "$.grid.lambda", "unknown hyper-parameter \"lambda\""),
        new("grid over seed", With(o => o["grid"] = N("{\"seed\":[1,2]}")), "$.grid.seed", "from $.seeds"),
        new("empty grid list", With(o => o["grid"] = N("{\"lambdaD\":[]}")), "$.grid.lambdaD", "is an empty list: give at least one value, like [0.1]"),
        new("grid value not a list", With(o => o["grid"] = N("{\"tau\":5}")), "$.grid.tau", "must be an array of values, like [5], got the number 5"),
        new("grid value wrong type", With(o => o["grid"] = N("{\"lambdaD\":[0.001,0.01,\"0.1\"]}")), "$.grid.lambdaD[2]", "must be a number, got the string \"0.1\""),
        new("grid value out of range", With(o => o["grid"] = N("{\"tau\":[1,-5]}")), "$.grid.tau[1]", "must be ≥ 0, got -5"),
        new("grid integer axis", With(o => o["grid"] = N("{\"groupSize\":[8,1]}")), "$.grid.groupSize[1]", "must be ≥ 2"),
        new("grid choice axis", With(o => o["grid"] = N("{\"lossAggregation\":[\"token-mean\",\"sum\"]}")), "$.grid.lossAggregation[1]", "must be one of"),
        new("grid duplicate value", With(o => o["grid"] = N("{\"lambdaD\":[0.1,0.1]}")), "$.grid.lambdaD[1]", "duplicate value 0.1 (also at [0])"),
        new("grid axis no arm varies", With(o => { o["arms"] = N("[\"grpo\",\"dapo\"]"); o["grid"] = N("{\"lambdaD\":[0.1,0.2]}"); }),
            "$.grid.lambdaD", "no listed arm varies \"lambdaD\" (grpo fixes lambdaD=0; dapo fixes lambdaD=0)"),
        new("missing seeds", With(o => o.Remove("seeds")), "$.seeds", "is required"),
        new("empty seeds", With(o => o["seeds"] = N("[]")), "$.seeds", "got an empty array"),
        new("duplicate seeds", With(o => o["seeds"] = N("[0,1,0]")), "$.seeds[2]", "duplicate seed 0 (also at [0])"),
        new("seed not integer", With(o => o["seeds"] = N("[0.5]")), "$.seeds[0]", "must be a whole number"),
        new("eval wrong type", With(o => o["eval"] = 5), "$.eval", "must be an object"),
        new("eval every steps", With(o => o["eval"] = N("{\"everySteps\":0}")), "$.eval.everySteps", "must be ≥ 1, got 0"),
        new("eval top p", With(o => o["eval"] = N("{\"pass1TopP\":1.5}")), "$.eval.pass1TopP", "must be in (0, 1]"),
        new("eval temperature", With(o => o["eval"] = N("{\"avgTemperature\":0}")), "$.eval.avgTemperature", "must be > 0"),
        new("eval typo", With(o => o["eval"] = N("{\"avgk\":8}")), "$.eval.avgk", "did you mean \"avgK\"?"),
        new("eval sampling top p", With(o => o["eval"] = N("{\"topP\":0}")), "$.eval.topP", "must be in (0, 1]"),
        new("eval diversity temperature", With(o => o["eval"] = N("{\"diversityTemperature\":-1}")), "$.eval.diversityTemperature", "must be > 0"),
        new("eval diversity top p", With(o => o["eval"] = N("{\"diversityTopP\":2}")), "$.eval.diversityTopP", "must be in (0, 1]"),
        new("eval diversity samples", With(o => o["eval"] = N("{\"diversitySamples\":-1}")), "$.eval.diversitySamples", "must be between 0"),
        new("eval unknown benchmark", With(o => o["eval"] = N("{\"benchmarks\":[\"AIME24\"]}")), "$.eval.benchmarks[0]", "unknown benchmark \"AIME24\" for this task; use one of countdown"),
        new("resources device", With(o => o["resources"] = N("{\"device\":\"tpu\"}")), "$.resources.device", "must be \"cpu\" or \"cuda\""),
        new("resources memory", With(o => o["resources"] = N("{\"memoryGiB\":-1}")), "$.resources.memoryGiB", "must be in (0, 4096]"),
        new("resources priority", With(o => o["resources"] = N("{\"priority\":\"high\"}")), "$.resources.priority", "must be a whole number"),
        new("max trials zero", With(o => o["maxTrials"] = 0), "$.maxTrials", "must be between 1 and 100000"),
        new("too many trials", With(o =>
            {
                o["grid"] = N("{\"lambdaD\":[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0], \"tau\":[1,2,3,4,5,6,7,8,9,10]}");
                o["seeds"] = N("[0,1,2,3,4,5,6,7,8,9]");
            }),
            "$.maxTrials", "the sweep expands to 1010 trials (grid points per arm grpo: 1, dsdr: 100; × 10 seeds), more than maxTrials = 1000"),
        new("lower trial limit", With(o => o["maxTrials"] = 3), "$.maxTrials", "expands to 6 trials"),
        new("warm-up longer than training", With(o => o["base"] = N("{\"warmupSteps\":200,\"totalSteps\":100}")), "$.base.warmupSteps",
            "warmupSteps (200) exceeds totalSteps (100)"),
        new("mini-batches from grid", With(o => o["grid"] = N("{\"miniBatchesPerStep\":[2,32]}")), "$.grid.miniBatchesPerStep",
            "miniBatchesPerStep (32) exceeds promptsPerStep (16)"),
        new("overlong buffer too long", With(o => { o["arms"] = N("[\"dapo\"]"); o["grid"] = N("{}"); o["base"] = N("{\"maxNewTokens\":4}"); }),
            "$.base.maxNewTokens", "overlongBufferLength (6) must be < maxNewTokens (4)"),
    ];

    public static TheoryData<Case> AllCases()
    {
        var data = new TheoryData<Case>();
        foreach (var c in Cases) data.Add(c);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Malformed_spec_is_rejected_naming_the_field(Case c)
    {
        var result = SweepSpecParser.Parse(c.Json);
        Assert.False(result.IsValid);
        Assert.Null(result.Spec);
        var match = result.Errors.FirstOrDefault(e => e.Path == c.Path && e.Reason.Contains(c.Reason, StringComparison.Ordinal));
        Assert.True(match is not null, $"expected {c.Path}: …{c.Reason}… among:\n{string.Join("\n", result.Errors)}");
        Assert.All(result.Errors, e => Assert.DoesNotContain('\n', e.ToString()));
    }

    [Fact]
    public void There_are_at_least_thirty_distinct_cases_with_distinct_paths_or_reasons()
    {
        Assert.True(Cases.Length >= 30);
        Assert.Equal(Cases.Length, Cases.Select(c => c.Name).Distinct().Count());
        Assert.True(Cases.Select(c => c.Path).Distinct().Count() >= 30);
    }

    [Fact]
    public void The_minimal_spec_itself_is_valid()
    {
        var spec = Valid(Minimal);
        Assert.Equal("t", spec.Name);
    }

    [Fact]
    public void All_errors_are_reported_at_once_one_line_each()
    {
        var json = With(o =>
        {
            o["arms"] = N("[\"ppo\"]");
            o["seeds"] = N("[1,1]");
            o["base"] = N("{\"tau\":-1}");
        });
        var result = SweepSpecParser.Parse(json);
        Assert.Equal(["$.base.tau", "$.arms[0]", "$.seeds[1]"], result.Errors.Select(e => e.Path));
        var ex = Assert.Throws<SweepSpecException>(() => result.GetSpecOrThrow());
        var lines = ex.Message.Split(Environment.NewLine);
        Assert.Equal(3, lines.Length);
        Assert.Equal("$.base.tau: must be ≥ 0, got -1", lines[0]);
        Assert.StartsWith("$.arms[0]: unknown arm \"ppo\"; use one of grpo", lines[1]);
        Assert.Equal("$.seeds[1]: duplicate seed 1 (also at [0]); list each seed once", lines[2]);
    }

    [Fact]
    public void Odd_keys_get_bracket_paths()
    {
        var result = SweepSpecParser.Parse(With(o => o["my key"] = 1));
        Assert.Contains(result.Errors, e => e.Path == "$['my key']");
    }

    [Fact]
    public void Comments_and_trailing_commas_are_accepted()
    {
        Valid("""
            // ablation
            { "name": "c", "task": {"kind": "arith"}, "model": {"preset": "tiny"}, "arms": ["dsdr",], "seeds": [0], }
            """);
    }

    [Fact]
    public void Validate_checks_a_spec_built_in_code()
    {
        var spec = Valid(Minimal);
        Assert.Empty(SweepSpecParser.Validate(spec));
        var broken = spec with { Arms = ["dsdr", "ppo"], Seeds = [0, 0] };
        Assert.Equal(["$.arms[1]", "$.seeds[1]"], SweepSpecParser.Validate(broken).Select(e => e.Path));
    }

    [Fact]
    public void Ceiling_on_max_trials_is_the_servers()
    {
        var json = With(o => o["maxTrials"] = 50_000);
        Assert.True(SweepSpecParser.Parse(json).IsValid);
        var result = SweepSpecParser.Parse(json, new SweepSpecParserOptions(MaxTrialsCeiling: 10_000));
        Assert.Equal("$.maxTrials: must be between 1 and 10000, got 50000", Assert.Single(result.Errors).ToString());
    }
}
